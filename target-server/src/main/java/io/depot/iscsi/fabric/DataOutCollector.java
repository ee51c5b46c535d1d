package io.depot.iscsi.fabric;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;

/**
 * Gathers one write task's Data-Out (RFC 7143 §4.2.3.3, §11.7): immediate data from the command
 * PDU, unsolicited Data-Out up to FirstBurstLength, then bursts solicited by R2Ts, each checked
 * for its offset and DataSN. It decides what to ask for next; the caller sends the R2T PDUs.
 *
 * <p>The gathering buffer is charged to the connection's {@link WriteBufferBudget}. When all the
 * data comes in one PDU, that PDU's payload is kept as a slice: no copy, no buffer. Touched only
 * on the connection's event loop.
 */
final class DataOutCollector {
    /** What became of one Data-Out PDU. */
    enum Verdict {
        ACCEPTED,
        /** Outside what may be sent now (offset, FirstBurstLength, no such R2T): reject the PDU. */
        PROTOCOL_ERROR,
        /** DataSN out of sequence: at error recovery level 0 the task cannot recover. */
        OUT_OF_SEQUENCE
    }

    private final int needed;
    private final int expectedLength;
    private final int firstBurstLength;
    private final WriteBufferBudget budget;
    private final ByteBufAllocator alloc;
    /** Open R2Ts: at most MaxOutstandingR2T, usually one, so a list. */
    private final ArrayList<R2t> open = new ArrayList<>();

    private ByteBuf data;
    private int received;
    /** Bytes of {@link #data} charged to the budget (0 for a slice of the command PDU). */
    private int bufferBytes;
    private boolean unsolicitedDone;
    private int unsolicitedDataSN;
    /** Next offset not yet asked for by an R2T. */
    private int nextSolicitOffset;
    private int nextR2tSN;

    /**
     * @param needed           Data-Out bytes to keep: the expected length, or less when the CDB needs less
     * @param expectedLength   the initiator's expected data transfer length: no Data-Out may go past it
     * @param firstBurstLength negotiated FirstBurstLength: the limit of unsolicited data
     */
    DataOutCollector(int needed, int expectedLength, int firstBurstLength, WriteBufferBudget budget, ByteBufAllocator alloc) {
        this.needed = needed;
        this.expectedLength = expectedLength;
        this.firstBurstLength = firstBurstLength;
        this.budget = budget;
        this.alloc = alloc;
    }

    /**
     * The command PDU's immediate data (possibly empty), already checked against ImmediateData and
     * FirstBurstLength; {@code unsolicitedFollows} is false when the command had F set or InitialR2T=Yes.
     */
    void start(ByteBuf immediate, boolean unsolicitedFollows) {
        if (immediate.isReadable()) {
            accept(0, immediate);
        }
        unsolicitedDone = !unsolicitedFollows;
    }

    /** One Data-Out PDU: {@code ttt} is 0xffffffff for unsolicited data, else the R2T's tag. */
    Verdict onDataOut(int ttt, int offset, int dataSN, boolean finalFlag, ByteBuf piece) {
        int length = piece.readableBytes();
        if (offset < 0 || (long) offset + length > expectedLength) {
            return Verdict.PROTOCOL_ERROR;
        }
        if (ttt == IscsiConnection.RESERVED_TAG) {
            if (unsolicitedDone || (long) offset + length > firstBurstLength) {
                return Verdict.PROTOCOL_ERROR;   // unsolicited data beyond FirstBurstLength
            }
            if (dataSN != unsolicitedDataSN++) {
                return Verdict.OUT_OF_SEQUENCE;
            }
            accept(offset, piece);
            if (finalFlag) {
                unsolicitedDone = true;
            }
            return Verdict.ACCEPTED;
        }
        R2t r2t = find(ttt);
        if (r2t == null || !r2t.covers(offset, length)) {
            return Verdict.PROTOCOL_ERROR;
        }
        if (dataSN != r2t.nextDataSN++) {
            return Verdict.OUT_OF_SEQUENCE;
        }
        accept(offset, piece);
        r2t.received += length;
        if (finalFlag || r2t.received >= r2t.length) {
            open.remove(r2t);
        }
        return Verdict.ACCEPTED;
    }

    private R2t find(int ttt) {
        for (int i = 0; i < open.size(); i++) {
            R2t r = open.get(i);
            if (r.targetTransferTag == ttt) {
                return r;
            }
        }
        return null;
    }

    /** Copies a piece into the buffer, or keeps a slice when it is all the data there is. */
    private void accept(int offset, ByteBuf piece) {
        int length = piece.readableBytes();
        if (data == null) {
            if (offset == 0 && length == needed) {
                data = piece.retainedSlice();   // the whole payload in one PDU: no copy
                received = length;
                return;
            }
            allocate();
        }
        int usable = Math.max(0, Math.min(length, needed - offset));
        if (usable > 0) {
            data.setBytes(offset, piece, piece.readerIndex(), usable);
        }
        received += length;
    }

    private void allocate() {
        data = alloc.directBuffer(needed, needed);
        data.writerIndex(needed);
        bufferBytes = needed;
        budget.charge(bufferBytes);
    }

    /** Every needed byte is in. */
    boolean complete() { return received >= needed; }

    /**
     * True once no more unsolicited data will come, so the rest is the target's to ask for.
     * Solicited data then starts where the unsolicited data ended.
     */
    boolean readyToSolicit() {
        if (!unsolicitedDone) {
            return false;
        }
        if (nextSolicitOffset < received && open.isEmpty() && nextR2tSN == 0) {
            nextSolicitOffset = received;
        }
        return true;
    }

    /**
     * Reserves the gathering buffer before the first R2T, within the budget. False when the
     * budget has no room now: the caller queues the task and asks again later.
     */
    boolean reserveBuffer() {
        if (data != null) {
            return true;
        }
        if (!budget.admits(needed)) {
            return false;
        }
        allocate();
        return true;
    }

    /** True if another R2T may be sent: data is still unasked for and fewer than {@code maxOutstanding} are open. */
    boolean wantsR2t(int maxOutstanding) {
        return open.size() < Math.max(1, maxOutstanding) && nextSolicitOffset < needed;
    }

    /** Opens the next R2T, for at most {@code maxBurstLength} bytes, under tag {@code ttt}. */
    R2t openR2t(int ttt, int maxBurstLength) {
        int length = Math.min(maxBurstLength, needed - nextSolicitOffset);
        R2t r2t = new R2t(ttt, nextR2tSN++, nextSolicitOffset, length);
        open.add(r2t);
        nextSolicitOffset += length;
        return r2t;
    }

    /** R2Ts sent so far (the ExpDataSN of a write's SCSI Response, RFC 7143 §11.4.8). */
    int r2tsSent() { return nextR2tSN; }

    int received() { return received; }

    /** The gathered Data-Out, {@code needed} bytes readable; stays owned by this collector. */
    ByteBuf data() {
        if (data != null && data.readableBytes() > needed) {
            data.writerIndex(data.readerIndex() + needed);
        }
        return data;
    }

    /** Gives the buffer back to the pool and its bytes back to the budget. Idempotent. */
    void release() {
        budget.refund(bufferBytes);
        bufferBytes = 0;
        open.clear();
        if (data != null) {
            data.release();
            data = null;
        }
    }
}
