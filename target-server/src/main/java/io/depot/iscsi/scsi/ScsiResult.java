package io.depot.iscsi.scsi;

import io.netty.buffer.ByteBuf;

/**
 * The outcome of a command: SCSI status, sense data for CHECK CONDITION, and data-in.
 * The fabric truncates data-in to the initiator's expected length and reports residuals.
 *
 * @param status  SAM status byte (0x00 GOOD, 0x02 CHECK CONDITION, 0x08 BUSY, 0x18 RESERVATION CONFLICT, 0x28 TASK SET FULL)
 * @param sense   sense data (fixed format, 18+ bytes) when status is CHECK CONDITION, else null
 * @param dataIn  data for the initiator, or null; ownership passes to the fabric
 */
public record ScsiResult(int status, byte[] sense, ByteBuf dataIn) {
    public static final int GOOD = 0x00;
    public static final int CHECK_CONDITION = 0x02;
    public static final int CONDITION_MET = 0x04;
    public static final int BUSY = 0x08;
    public static final int RESERVATION_CONFLICT = 0x18;
    public static final int TASK_SET_FULL = 0x28;
    public static final int ACA_ACTIVE = 0x30;
    public static final int TASK_ABORTED = 0x40;

    public static final ScsiResult OK = new ScsiResult(GOOD, null, null);

    public static ScsiResult good(ByteBuf dataIn) { return new ScsiResult(GOOD, null, dataIn); }
}
