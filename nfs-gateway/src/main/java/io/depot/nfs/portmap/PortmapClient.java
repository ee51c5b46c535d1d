package io.depot.nfs.portmap;

import io.depot.nfs.rpc.RpcClient;
import io.depot.nfs.rpc.RpcReply;
import io.depot.nfs.xdr.XdrReader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/** A portmapper v2 client over TCP (RFC 1833 §3): one connection, blocking calls. */
public final class PortmapClient implements AutoCloseable {
    private final RpcClient rpc;

    private PortmapClient(RpcClient rpc) {
        this.rpc = rpc;
    }

    public static PortmapClient connect(InetSocketAddress portmapper, Duration timeout) throws IOException {
        return new PortmapClient(RpcClient.connect(portmapper, timeout));
    }

    /** Connects from a reserved local port; some portmappers accept SET only from one. */
    public static PortmapClient connect(InetSocketAddress portmapper, InetSocketAddress local, Duration timeout) throws IOException {
        return new PortmapClient(RpcClient.connect(portmapper, local, timeout));
    }

    public void ping() throws IOException {
        check(rpc.call(Portmap.PROGRAM, Portmap.VERSION, Portmap.PROC_NULL, null));
    }

    public boolean set(Mapping m) throws IOException {
        return bool(rpc.call(Portmap.PROGRAM, Portmap.VERSION, Portmap.PROC_SET, w -> write(w, m)));
    }

    public boolean unset(int program, int version) throws IOException {
        Mapping m = new Mapping(program, version, 0, 0);
        return bool(rpc.call(Portmap.PROGRAM, Portmap.VERSION, Portmap.PROC_UNSET, w -> write(w, m)));
    }

    /** The port, or 0 when the program version is not registered for the protocol. */
    public int getPort(int program, int version, int protocol) throws IOException {
        Mapping m = new Mapping(program, version, protocol, 0);
        RpcReply r = check(rpc.call(Portmap.PROGRAM, Portmap.VERSION, Portmap.PROC_GETPORT, w -> write(w, m)));
        return r.results().readInt();
    }

    public List<Mapping> dump() throws IOException {
        XdrReader r = check(rpc.call(Portmap.PROGRAM, Portmap.VERSION, Portmap.PROC_DUMP, null)).results();
        return Portmap.readList(r, x -> new Mapping(x.readInt(), x.readInt(), x.readInt(), x.readInt()), "portmapper");
    }

    private static void write(io.depot.nfs.xdr.XdrWriter w, Mapping m) {
        w.writeInt(m.program()).writeInt(m.version()).writeInt(m.protocol()).writeInt(m.port());
    }

    private static boolean bool(RpcReply r) throws IOException {
        return check(r).results().readBoolean();
    }

    private static RpcReply check(RpcReply r) throws IOException {
        if (!r.success()) {
            throw new IOException("portmapper answered " + r);
        }
        return r;
    }

    @Override
    public void close() {
        rpc.close();
    }
}
