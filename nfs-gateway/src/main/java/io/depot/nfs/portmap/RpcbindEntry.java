package io.depot.nfs.portmap;

/**
 * struct rpcb of RFC 1833 §2.1: a program version on a transport ({@code netid} "tcp" or "udp"),
 * its universal address, and the owner rpcbind recorded for it. rpcbind fills the owner from the
 * registering caller, never from the string the caller sends: "superuser" for uid 0 and the
 * decimal uid otherwise (through its Unix socket, and, as Debian's rpcbind 1.2.6 does, over
 * loopback TCP too). Portmapper v2 has no owners; its entries carry "".
 */
public record RpcbindEntry(int program, int version, String netid, String address, String owner) {
    /** Whether {@code other} occupies the same slot: rpcbind holds one entry per program, version and netid. */
    public boolean sameSlot(RpcbindEntry other) {
        return program == other.program && version == other.version && netid.equals(other.netid);
    }

    /** Whether {@code other} is this registration (slot, address and owner). */
    public boolean sameRegistration(RpcbindEntry other) {
        return sameSlot(other) && address.equals(other.address) && owner.equals(other.owner);
    }

    /** The port of an IPv4 universal address h1.h2.h3.h4.p1.p2, or 0. */
    public int port() {
        String[] parts = address.split("\\.");
        if (parts.length != 6) {
            return 0;
        }
        try {
            return Integer.parseInt(parts[4]) * 256 + Integer.parseInt(parts[5]);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** A portmapper v2 mapping as rpcbind shows it: netid from the protocol, wildcard address, no owner. */
    static RpcbindEntry of(Mapping m) {
        String netid = m.protocol() == Portmap.IPPROTO_UDP ? "udp" : m.protocol() == Portmap.IPPROTO_TCP ? "tcp" : "proto" + m.protocol();
        return new RpcbindEntry(m.program(), m.version(), netid, wildcard(m.port()), "");
    }

    /** RFC 1833 §2.2 universal address of port {@code port} on every IPv4 address: 0.0.0.0.p1.p2. */
    static String wildcard(int port) {
        return "0.0.0.0." + (port >> 8) + "." + (port & 0xff);
    }

    @Override
    public String toString() {
        return program + " v" + version + " " + netid + " " + address + (owner.isEmpty() ? "" : " owner " + owner);
    }
}
