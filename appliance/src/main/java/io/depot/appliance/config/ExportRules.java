package io.depot.appliance.config;

import io.depot.nfs.nfs3.ClientRule;
import io.depot.nfs.nfs3.NfsExport;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * NFS export rules as operators write them (exports(5) style) for the config file and the CLI:
 * a client "*", "host", "10.0.0.0/8" or "fd00::/8", optionally followed by "(ro)" or "(rw)"
 * (read-write when absent); squash "none", "root" or "all".
 */
public final class ExportRules {
    private ExportRules() {}

    public static ClientRule rule(String text) {
        String t = text.trim();
        boolean readOnly = false;
        int p = t.lastIndexOf('(');
        if (p >= 0) {
            if (!t.endsWith(")")) {
                throw new IllegalArgumentException("client rule '" + text + "': expected CLIENT, CLIENT(ro) or CLIENT(rw)");
            }
            String opt = t.substring(p + 1, t.length() - 1).trim().toLowerCase(Locale.ROOT);
            readOnly = switch (opt) {
                case "ro" -> true;
                case "rw" -> false;
                default -> throw new IllegalArgumentException("client rule '" + text + "': access must be ro or rw, got '" + opt + "'");
            };
            t = t.substring(0, p).trim();
        }
        checkClient(t, text);
        return new ClientRule(t, readOnly);
    }

    /** "*", an address or host name, or a CIDR block whose prefix length fits the address family. */
    private static void checkClient(String client, String text) {
        if (client.isEmpty() || client.contains(",") || client.contains(";") || client.contains("(") || client.contains(" ")) {
            throw new IllegalArgumentException("client rule '" + text + "': bad client '" + client + "'");
        }
        int slash = client.indexOf('/');
        if (slash >= 0) {
            int max = client.contains(":") ? 128 : 32;
            try {
                int bits = Integer.parseInt(client.substring(slash + 1));
                if (bits < 0 || bits > max) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("client rule '" + text + "': prefix length must be 0.." + max);
            }
        }
    }

    public static List<ClientRule> rules(List<String> texts) {
        List<ClientRule> out = new ArrayList<>();
        for (String t : texts) {
            out.add(rule(t));
        }
        return out;
    }

    public static NfsExport.Squash squash(String text) {
        if (text == null) {
            return NfsExport.Squash.NONE;
        }
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "none", "no_root_squash" -> NfsExport.Squash.NONE;
            case "root", "root_squash" -> NfsExport.Squash.ROOT;
            case "all", "all_squash" -> NfsExport.Squash.ALL;
            default -> throw new IllegalArgumentException("squash must be none, root or all, got '" + text + "'");
        };
    }

    public static String text(ClientRule r) { return r.spec() + (r.readOnly() ? "(ro)" : "(rw)"); }

    public static String text(NfsExport.Squash s) { return s.name().toLowerCase(Locale.ROOT); }

    /** uid/gid are unsigned 32-bit on the wire; the config and API take 0..4294967295. */
    public static int id(long value, String what) {
        if (value < 0 || value > 0xffff_ffffL) {
            throw new IllegalArgumentException(what + " must be 0..4294967295, got " + value);
        }
        return (int) value;
    }
}
