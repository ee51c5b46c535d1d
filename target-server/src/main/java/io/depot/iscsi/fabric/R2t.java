package io.depot.iscsi.fabric;

/**
 * One Ready To Transfer the target sent (RFC 7143 §11.8) and the solicited burst it asked for:
 * the Data-Out PDUs answering it carry its target transfer tag, stay inside
 * {@code [offset, offset + length)} and number their DataSN from 0. The two counters are the
 * burst's progress; they change on every Data-Out, so this is a small class rather than a record
 * (a record would be one allocation per Data-Out PDU).
 */
final class R2t {
    final int targetTransferTag;
    /** R2TSN: the number of this R2T within its task. */
    final int sequenceNumber;
    final int offset;
    final int length;
    /** Bytes of the burst received so far. */
    int received;
    /** DataSN the next Data-Out of this burst must carry. */
    int nextDataSN;

    R2t(int targetTransferTag, int sequenceNumber, int offset, int length) {
        this.targetTransferTag = targetTransferTag;
        this.sequenceNumber = sequenceNumber;
        this.offset = offset;
        this.length = length;
    }

    /** True if {@code [offset, offset + length)} lies inside the burst. */
    boolean covers(int offset, int length) {
        return offset >= this.offset && (long) offset + length <= (long) this.offset + this.length;
    }

    @Override
    public String toString() {
        return "R2T ttt=0x" + Integer.toHexString(targetTransferTag) + " sn=" + sequenceNumber + " [" + offset + "+" + length + ")";
    }
}
