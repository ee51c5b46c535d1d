package io.depot.nfs.portmap;

import io.depot.nfs.rpc.RpcCall;
import io.depot.nfs.rpc.RpcProgram;
import io.depot.nfs.xdr.XdrReader;
import io.depot.nfs.xdr.XdrWriter;
import java.net.InetAddress;
import java.util.List;

/**
 * The portmapper program, version 2 (RFC 1833 §3), served from a {@link PortmapRegistry}.
 *
 * <p>SET and UNSET are honoured only from loopback callers (as rpcbind does): anyone else could
 * redirect clients to a port of their choosing. CALLIT is not offered (PROC_UNAVAIL): indirect
 * calls are a UDP broadcast feature and an amplification vector; we do not forward calls.
 */
public final class PortmapProgram {
    private PortmapProgram() {}

    public static RpcProgram create(PortmapRegistry registry) {
        int v = Portmap.VERSION;
        return RpcProgram.builder(Portmap.PROGRAM, "portmapper")
                .procedure(v, Portmap.PROC_NULL, "NULL", (call, args, res) -> args.expectEnd())
                .procedure(v, Portmap.PROC_SET, "SET", (call, args, res) -> {
                    Mapping m = readMapping(args);
                    res.writeBoolean(local(call) && registry.set(m));
                })
                .procedure(v, Portmap.PROC_UNSET, "UNSET", (call, args, res) -> {
                    Mapping m = readMapping(args);
                    res.writeBoolean(local(call) && registry.unset(m.program(), m.version()));
                })
                .procedure(v, Portmap.PROC_GETPORT, "GETPORT", (call, args, res) -> {
                    Mapping m = readMapping(args);
                    res.writeInt(registry.getPort(m.program(), m.version(), m.protocol()));
                })
                .procedure(v, Portmap.PROC_DUMP, "DUMP", (call, args, res) -> {
                    args.expectEnd();
                    writeList(res, registry.all());
                })
                .build();
    }

    static Mapping readMapping(XdrReader r) {
        Mapping m = new Mapping(r.readInt(), r.readInt(), r.readInt(), r.readInt());
        r.expectEnd();
        return m;
    }

    /** pmaplist: optional-data linked list (RFC 1833 §3.1, RFC 4506 §4.19). */
    static void writeList(XdrWriter w, List<Mapping> mappings) {
        for (Mapping m : mappings) {
            w.writeBoolean(true).writeInt(m.program()).writeInt(m.version()).writeInt(m.protocol()).writeInt(m.port());
        }
        w.writeBoolean(false);
    }

    private static boolean local(RpcCall call) {
        InetAddress a = call.remote().getAddress();
        return a.isLoopbackAddress();
    }
}
