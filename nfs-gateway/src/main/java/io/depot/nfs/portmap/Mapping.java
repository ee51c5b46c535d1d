package io.depot.nfs.portmap;

/** struct mapping of RFC 1833 §3.1: a program version reachable on a port with a protocol. */
public record Mapping(int program, int version, int protocol, int port) {
    @Override
    public String toString() {
        return program + " v" + version + " " + (protocol == Portmap.IPPROTO_TCP ? "tcp" : protocol == Portmap.IPPROTO_UDP ? "udp" : "proto " + protocol)
                + " port " + port;
    }
}
