package io.depot.nfs.portmap;

import io.depot.nfs.rpc.RpcClient;
import io.depot.nfs.rpc.RpcReply;
import io.depot.nfs.xdr.XdrReader;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Registers with a system rpcbind through its Unix socket using rpcbind version 4 (RFC 1833 §2).
 * rpcbind accepts SET/UNSET over TCP only from loopback when started with -L or -i; over its
 * Unix socket it identifies the caller by SO_PEERCRED, which is how libtirpc's own
 * registrations (and so nfs-ganesha's and mountd's) reach it. The owner string a caller sends is
 * ignored: rpcbind records the caller's uid (see {@link RpcbindEntry}).
 */
public final class RpcbindLocalClient implements Registrar {
    private static final String CALLER_UID = callerUid();
    private final RpcClient rpc;
    private final Path socket;

    private RpcbindLocalClient(RpcClient rpc, Path socket) {
        this.rpc = rpc;
        this.socket = socket;
    }

    public static RpcbindLocalClient connect(Path socket, Duration timeout) throws IOException {
        return new RpcbindLocalClient(RpcClient.connect(UnixDomainSocketAddress.of(socket), timeout), socket);
    }

    /** RPCBPROC_SET of struct rpcb; the owner sent is our uid, as libtirpc's rpcb_set sends it. */
    @Override
    public boolean set(RpcbindEntry e) throws IOException {
        return call(Portmap.RPCBPROC_SET, e.program(), e.version(), e.netid(), e.address(), CALLER_UID);
    }

    /** RPCBPROC_UNSET of the entry's program, version and netid (an empty netid: every transport). */
    @Override
    public boolean unset(RpcbindEntry e) throws IOException {
        return call(Portmap.RPCBPROC_UNSET, e.program(), e.version(), e.netid(), "", CALLER_UID);
    }

    @Override
    public boolean unsetTakesEveryTransport() {
        return false;
    }

    /** RPCBPROC_DUMP: rpcblist_ptr, an optional-data list of struct rpcb with their owners. */
    @Override
    public List<RpcbindEntry> dump() throws IOException {
        XdrReader r = check(rpc.call(Portmap.PROGRAM, Portmap.RPCBIND_V4, Portmap.RPCBPROC_DUMP, null)).results();
        return Portmap.readList(r, x -> new RpcbindEntry(x.readInt(), x.readInt(), x.readString(64), x.readString(1024), x.readString(1024)),
                "rpcbind");
    }

    @Override
    public String describe() {
        return "the system rpcbind (through " + socket + ")";
    }

    private boolean call(int proc, int program, int version, String netid, String uaddr, String owner) throws IOException {
        RpcReply r = rpc.call(Portmap.PROGRAM, Portmap.RPCBIND_V4, proc, w -> w
                .writeInt(program).writeInt(version).writeString(netid).writeString(uaddr).writeString(owner));
        return check(r).results().readBoolean();
    }

    private static RpcReply check(RpcReply r) throws IOException {
        if (!r.success()) {
            throw new IOException("rpcbind answered " + r);
        }
        return r;
    }

    private static String callerUid() {
        try {
            return String.valueOf(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "";
        }
    }

    @Override
    public void close() {
        rpc.close();
    }
}
