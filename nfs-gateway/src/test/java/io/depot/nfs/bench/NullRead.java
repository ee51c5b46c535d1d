package io.depot.nfs.bench;

import io.depot.nfs.nfs3.Nfs3;
import io.depot.nfs.rpc.RpcProcedure;
import io.depot.nfs.xdr.XdrReader;
import io.depot.nfs.xdr.XdrWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * A READ that costs nothing, for {@code NfsBenchServer --null-read}: the reply's data is a retained
 * slice of one prebuilt direct buffer of rtmax bytes, whatever the file holds. Never for serving.
 */
final class NullRead {
    private static final ByteBuf DATA = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(Nfs3.MAX_IO, Nfs3.MAX_IO).writeZero(Nfs3.MAX_IO));

    private NullRead() {}

    /** {@code quick}: answered on the event loop; {@code worker}: after the handoff to a worker thread. */
    static RpcProcedure procedure(String where) {
        return switch (where) {
            case "quick" -> new RpcProcedure(Nfs3.PROC_READ, "READ", NullRead::answer,
                    true, (call, args, res) -> { answer(call, args, res); return true; });
            case "worker" -> new RpcProcedure(Nfs3.PROC_READ, "READ", NullRead::answer, true);
            default -> throw new IllegalArgumentException("--null-read " + where + " (expected quick or worker)");
        };
    }

    private static void answer(io.depot.nfs.rpc.RpcCall call, XdrReader args, XdrWriter res) {
        args.readOpaque(Nfs3.FHSIZE);
        args.readHyper();
        int n = (int) Math.min(args.readUnsignedInt(), Nfs3.MAX_IO);
        args.expectEnd();
        res.writeInt(Nfs3.OK);
        res.writeBoolean(false); // no post-op attributes
        res.writeInt(n);
        res.writeBoolean(false); // eof: nfs-cp reads the size it got from GETATTR, no more
        res.writeOpaque(DATA.retainedSlice(0, n));
    }
}
