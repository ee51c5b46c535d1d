package io.depot.nfs.rpc;

import io.depot.nfs.xdr.XdrReader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * A decoded reply, as seen by {@link RpcClient}: either accepted (with an accept_stat, and for
 * SUCCESS the results in {@link #results()}) or denied (RPC_MISMATCH or AUTH_ERROR).
 */
public record RpcReply(int xid, boolean accepted, int acceptStat, int rejectStat, int authStat,
                       int low, int high, byte[] body) {

    /** The results of a SUCCESS reply (or the bytes after the status for other replies). */
    public XdrReader results() {
        ByteBuf b = Unpooled.wrappedBuffer(body);
        return new XdrReader(b);
    }

    public boolean success() {
        return accepted && acceptStat == Rpc.SUCCESS;
    }

    /** Parses a whole reply record (RFC 5531 §9 reply_body). */
    public static RpcReply parse(ByteBuf record) {
        XdrReader r = new XdrReader(record);
        int xid = r.readInt();
        int type = r.readInt();
        if (type != Rpc.REPLY) {
            throw new io.depot.nfs.xdr.XdrDecodeException("message type " + type + " is not a reply");
        }
        int replyStat = r.readInt();
        if (replyStat == Rpc.MSG_ACCEPTED) {
            r.readInt(); // verifier flavor
            r.readOpaque(Rpc.MAX_AUTH_BYTES);
            int stat = r.readInt();
            int low = 0;
            int high = 0;
            if (stat == Rpc.PROG_MISMATCH) {
                low = r.readInt();
                high = r.readInt();
            }
            byte[] body = new byte[r.remaining()];
            record.readBytes(body);
            return new RpcReply(xid, true, stat, -1, -1, low, high, body);
        }
        if (replyStat != Rpc.MSG_DENIED) {
            throw new io.depot.nfs.xdr.XdrDecodeException("reply_stat " + replyStat);
        }
        int reject = r.readInt();
        if (reject == Rpc.RPC_MISMATCH) {
            int low = r.readInt();
            int high = r.readInt();
            return new RpcReply(xid, false, -1, reject, -1, low, high, new byte[0]);
        }
        int auth = r.readInt();
        return new RpcReply(xid, false, -1, reject, auth, 0, 0, new byte[0]);
    }

    @Override
    public String toString() {
        if (accepted) {
            return "accepted " + Rpc.acceptStatName(acceptStat)
                    + (acceptStat == Rpc.PROG_MISMATCH ? " (" + low + ".." + high + ")" : "");
        }
        return rejectStat == Rpc.RPC_MISMATCH ? "denied RPC_MISMATCH (" + low + ".." + high + ")"
                : "denied AUTH_ERROR " + Rpc.authStatName(authStat);
    }
}
