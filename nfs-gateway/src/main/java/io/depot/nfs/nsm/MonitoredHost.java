package io.depot.nfs.nsm;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A client host whose locks Depot's lock manager monitors: the name its lock manager calls
 * itself (NLM's caller_name, which its rpc.statd also uses as mon_name when it reboots) and the
 * addresses it was last seen at, most recent first. What Depot tells of its own restart, and
 * what a reboot notice from the host is matched against.
 */
public record MonitoredHost(String callerName, List<String> addresses) {
    /** How many addresses are kept per host (a multi-homed host, or one that moved). */
    static final int MAX_ADDRESSES = 4;
    private static final int FORMAT = 1;

    public MonitoredHost {
        addresses = List.copyOf(addresses);
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("a monitored host has at least one address");
        }
    }

    /**
     * The name hosts are keyed and matched by: lower case, without trailing dots ("PVE1.lan." and
     * "pve1.lan" are one host, as DNS has them).
     */
    public static String normalise(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        int end = n.length();
        while (end > 0 && n.charAt(end - 1) == '.') {
            end--;
        }
        return n.substring(0, end);
    }

    /** The key of this host: its normalised caller name. */
    public String key() { return normalise(callerName); }

    /** The address this host was last seen at. */
    public String lastAddress() { return addresses.get(0); }

    /** This host, last seen at {@code address} (first in the list, the oldest dropped past the limit). */
    MonitoredHost seenAt(String address) {
        List<String> a = new ArrayList<>(MAX_ADDRESSES);
        a.add(address);
        for (String old : addresses) {
            if (!old.equals(address) && a.size() < MAX_ADDRESSES) {
                a.add(old);
            }
        }
        return new MonitoredHost(callerName, a);
    }

    /** True when a reboot notice naming {@code monName} (a host name, or an address) is about this host. */
    boolean isNamed(String monName) {
        String n = normalise(monName);
        if (n.equals(key())) {
            return true;
        }
        for (String a : addresses) {
            if (a.equalsIgnoreCase(n)) {
                return true;
            }
        }
        return false;
    }

    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeUTF(callerName);
            out.writeByte(addresses.size());
            for (String a : addresses) {
                out.writeUTF(a);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static MonitoredHost decode(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            int format = in.readUnsignedByte();
            if (format != FORMAT) {
                throw new IllegalStateException("monitored host record of format " + format + " (this build reads " + FORMAT + ")");
            }
            String name = in.readUTF();
            int n = in.readUnsignedByte();
            List<String> a = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                a.add(in.readUTF());
            }
            return new MonitoredHost(name, a);
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt monitored host record", e);
        }
    }
}
