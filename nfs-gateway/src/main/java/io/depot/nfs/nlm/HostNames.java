package io.depot.nfs.nlm;

import java.util.Locale;

/**
 * The one place client host names are normalised, so that NLM's {@code caller_name}, FREE_ALL's
 * and SM_NOTIFY's {@code mon_name} name the same host however they are spelt: lower case, without
 * trailing dots ("Host.Example." and "host.example" are one host).
 */
public final class HostNames {
    private HostNames() {}

    /** {@code name} in lower case without trailing dots. */
    public static String normalise(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        int end = n.length();
        while (end > 0 && n.charAt(end - 1) == '.') {
            end--;
        }
        return n.substring(0, end);
    }
}
