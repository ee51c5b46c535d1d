package io.depot.nfs.rpc;

import io.depot.nfs.xdr.XdrWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/** Reply headers (RFC 5531 §9, reply_body). Our verifier is always AUTH_NONE. */
public final class RpcReplies {
    private RpcReplies() {}

    /** Writes an accepted reply header up to and including accept_stat; results follow for SUCCESS. */
    public static void acceptedHeader(XdrWriter w, int xid, int acceptStat) {
        w.writeInt(xid).writeInt(Rpc.REPLY).writeInt(Rpc.MSG_ACCEPTED)
                .writeInt(Rpc.AUTH_NONE).writeInt(0)
                .writeInt(acceptStat);
    }

    public static ByteBuf accepted(ByteBufAllocator alloc, int xid, int acceptStat) {
        XdrWriter w = new XdrWriter(alloc);
        acceptedHeader(w, xid, acceptStat);
        return w.finish();
    }

    /** PROG_MISMATCH carries the lowest and highest version we serve. */
    public static ByteBuf progMismatch(ByteBufAllocator alloc, int xid, int low, int high) {
        XdrWriter w = new XdrWriter(alloc);
        acceptedHeader(w, xid, Rpc.PROG_MISMATCH);
        w.writeInt(low).writeInt(high);
        return w.finish();
    }

    /** MSG_DENIED / RPC_MISMATCH: we speak RPC version 2 only. */
    public static ByteBuf rpcMismatch(ByteBufAllocator alloc, int xid) {
        XdrWriter w = new XdrWriter(alloc);
        w.writeInt(xid).writeInt(Rpc.REPLY).writeInt(Rpc.MSG_DENIED).writeInt(Rpc.RPC_MISMATCH)
                .writeInt(Rpc.VERSION).writeInt(Rpc.VERSION);
        return w.finish();
    }

    /** MSG_DENIED / AUTH_ERROR with an auth_stat. */
    public static ByteBuf authError(ByteBufAllocator alloc, int xid, int authStat) {
        XdrWriter w = new XdrWriter(alloc);
        w.writeInt(xid).writeInt(Rpc.REPLY).writeInt(Rpc.MSG_DENIED).writeInt(Rpc.AUTH_ERROR).writeInt(authStat);
        return w.finish();
    }
}
