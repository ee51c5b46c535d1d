package io.depot.nfs.nfs3;

import io.depot.nfs.xdr.XdrWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.function.Consumer;

/** NFSv3 calls as bytes, for tests that put them on a socket themselves (stalled readers, fragments). */
final class RawCalls {
    private RawCalls() {}

    /** The body of a call record (no record mark), AUTH_SYS as uid 0 from machine "raw". */
    static byte[] call(int xid, int procedure, Consumer<XdrWriter> args) {
        XdrWriter w = new XdrWriter(UnpooledByteBufAllocator.DEFAULT);
        w.writeInt(xid).writeInt(0).writeInt(2).writeInt(Nfs3.PROGRAM).writeInt(Nfs3.VERSION).writeInt(procedure);
        XdrWriter cred = new XdrWriter(UnpooledByteBufAllocator.DEFAULT);
        cred.writeInt(1).writeString("raw").writeInt(0).writeInt(0).writeInt(0); // stamp, machine, uid, gid, no groups
        w.writeInt(1).writeOpaque(bytes(cred.finish())); // AUTH_SYS
        w.writeInt(0).writeInt(0); // verifier AUTH_NONE
        args.accept(w);
        return bytes(w.finish());
    }

    private static byte[] bytes(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        b.release();
        return out;
    }
}
