package io.depot.nfs.nfs3;

import io.depot.engine.ReadPlan;
import io.depot.nfs.rpc.BorrowedRecord;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * A READ's {@link ReadPlan} as the end of its reply record: the plan's views (the pool's mapped
 * data file, shared zeros for holes) and the XDR padding, written to the socket without a copy
 * through a buffer of ours; the plan, and with it its reader pin, is closed once they have been
 * written or the connection dropped them.
 */
final class PlanBuffers {
    /** READs of at least this many bytes are sent from a plan; smaller ones are as cheap to copy. */
    static final int MIN_BYTES = 64 * 1024;
    private static final ByteBuf PADDING = Unpooled.unreleasableBuffer(Unpooled.directBuffer(4).writeZero(4).asReadOnly());

    private PlanBuffers() {}

    /** The plan's bytes and {@code padding} zeros, owning the plan (closed however the record ends). */
    static BorrowedRecord of(ReadPlan plan, int padding) {
        BorrowedRecord out = new BorrowedRecord(plan::close);
        try {
            for (int i = 0; i < plan.segments(); i++) {
                out.add(Unpooled.wrappedBuffer(plan.segment(i)));
            }
            if (padding > 0) {
                out.add(PADDING.slice(0, padding));
            }
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }
}
