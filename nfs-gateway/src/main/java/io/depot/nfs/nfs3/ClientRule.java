package io.depot.nfs.nfs3;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Which clients an export rule covers and what they may do: "*" (everyone), an address, a
 * host name (resolved when matched), or a CIDR block "a.b.c.d/n" / "fd00::/8".
 */
public record ClientRule(String spec, boolean readOnly) {
    public ClientRule {
        if (spec == null || spec.isBlank() || spec.contains(",") || spec.contains("(") || spec.contains(";")) {
            throw new IllegalArgumentException("bad client specification '" + spec + "'");
        }
    }

    public static ClientRule rw(String spec) { return new ClientRule(spec, false); }

    public static ClientRule ro(String spec) { return new ClientRule(spec, true); }

    /**
     * Whether {@link #matches} may resolve a host name (a blocking DNS query): false for "*" and
     * for IPv4/IPv6 literals with or without a prefix length.
     */
    boolean needsNameLookup() {
        if (spec.equals("*")) {
            return false;
        }
        int slash = spec.indexOf('/');
        String host = slash < 0 ? spec : spec.substring(0, slash);
        return !(host.contains(":") || host.matches("[0-9.]+"));
    }

    public boolean matches(InetAddress client) {
        if (spec.equals("*")) {
            return true;
        }
        try {
            int slash = spec.indexOf('/');
            InetAddress net = InetAddress.getByName(slash < 0 ? spec : spec.substring(0, slash));
            byte[] a = net.getAddress();
            byte[] c = client.getAddress();
            if (a.length != c.length) {
                return false;
            }
            int bits = slash < 0 ? a.length * 8 : Integer.parseInt(spec.substring(slash + 1));
            if (bits < 0 || bits > a.length * 8) {
                return false;
            }
            BigInteger all = BigInteger.ONE.shiftLeft(a.length * 8).subtract(BigInteger.ONE);
            BigInteger mask = all.xor(all.shiftRight(bits));
            return new BigInteger(1, a).and(mask).equals(new BigInteger(1, c).and(mask));
        } catch (UnknownHostException | NumberFormatException e) {
            return false;
        }
    }

    /** As exports(5) writes it: "10.0.0.0/8(rw)". */
    @Override
    public String toString() { return spec + (readOnly ? "(ro)" : "(rw)"); }

    static ClientRule parse(String s) {
        int p = s.lastIndexOf('(');
        if (p < 0 || !s.endsWith(")")) {
            return rw(s);
        }
        String opt = s.substring(p + 1, s.length() - 1);
        return new ClientRule(s.substring(0, p), switch (opt) {
            case "ro" -> true;
            case "rw" -> false;
            default -> throw new IllegalArgumentException("client option '" + opt + "' (ro or rw)");
        });
    }
}
