package io.depot.nfs.portmap;

import io.depot.nfs.rpc.RpcClient;
import io.depot.nfs.rpc.RpcReply;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Registers with a system rpcbind through its Unix socket using rpcbind version 4 (RFC 1833 §2).
 * rpcbind accepts SET/UNSET over TCP only from loopback when started with -L or -i; over its
 * Unix socket it identifies the caller by SO_PEERCRED, which is how libtirpc's own
 * registrations (and so nfs-ganesha's and mountd's) reach it.
 */
public final class RpcbindLocalClient implements AutoCloseable {
    private final RpcClient rpc;

    private RpcbindLocalClient(RpcClient rpc) {
        this.rpc = rpc;
    }

    public static RpcbindLocalClient connect(Path socket, Duration timeout) throws IOException {
        return new RpcbindLocalClient(RpcClient.connect(UnixDomainSocketAddress.of(socket), timeout));
    }

    /** RPCBPROC_SET of struct rpcb {prog, vers, netid, uaddr, owner}. */
    public boolean set(int program, int version, String netid, String universalAddress, String owner) throws IOException {
        return call(Portmap.RPCBPROC_SET, program, version, netid, universalAddress, owner);
    }

    /** RPCBPROC_UNSET; an empty netid removes every transport of the program version. */
    public boolean unset(int program, int version, String netid, String owner) throws IOException {
        return call(Portmap.RPCBPROC_UNSET, program, version, netid, "", owner);
    }

    /** RPCBPROC_GETADDR: the universal address, empty when not registered. */
    public String getAddr(int program, int version, String netid) throws IOException {
        RpcReply r = rpc.call(Portmap.PROGRAM, Portmap.RPCBIND_V4, Portmap.RPCBPROC_GETADDR, w -> w
                .writeInt(program).writeInt(version).writeString(netid).writeString("").writeString(""));
        if (!r.success()) {
            throw new IOException("rpcbind answered " + r);
        }
        return r.results().readString(1024);
    }

    private boolean call(int proc, int program, int version, String netid, String uaddr, String owner) throws IOException {
        RpcReply r = rpc.call(Portmap.PROGRAM, Portmap.RPCBIND_V4, proc, w -> w
                .writeInt(program).writeInt(version).writeString(netid).writeString(uaddr).writeString(owner));
        if (!r.success()) {
            throw new IOException("rpcbind answered " + r);
        }
        return r.results().readBoolean();
    }

    /** RFC 1833 §2.2 universal address of an IPv4 TCP endpoint: h1.h2.h3.h4.p1.p2. */
    public static String universalAddress(java.net.InetAddress host, int port) {
        return host.getHostAddress() + "." + (port >> 8) + "." + (port & 0xff);
    }

    @Override
    public void close() {
        rpc.close();
    }
}
