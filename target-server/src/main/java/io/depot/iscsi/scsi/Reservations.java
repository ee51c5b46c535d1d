package io.depot.iscsi.scsi;

/**
 * The reservation state of one logical unit: SPC-2 RESERVE/RELEASE and SPC-4 persistent
 * reservations (§5.9). The logical unit asks {@link #conflicts} before running any command and
 * routes the reservation commands here.
 */
public interface Reservations {

    /**
     * True if {@code nexus} may not run the command in {@code cdb} now (SPC-4 Table 66, and for
     * RESERVE(6/10) holds SPC-2 §5.5.1): the logical unit answers RESERVATION CONFLICT.
     */
    boolean conflicts(ItNexus nexus, byte[] cdb);

    /** PERSISTENT RESERVE IN (5Eh). */
    ScsiResult persistentReserveIn(ScsiCommand command);

    /** PERSISTENT RESERVE OUT (5Fh). */
    ScsiResult persistentReserveOut(ScsiCommand command);

    /** RESERVE(6) 16h / RESERVE(10) 56h. */
    ScsiResult reserve(ScsiCommand command);

    /** RELEASE(6) 17h / RELEASE(10) 57h. */
    ScsiResult release(ScsiCommand command);

    /** The nexus is gone: a RESERVE hold it had is released (persistent reservations survive). */
    void nexusRemoved(ItNexus nexus);

    /** LOGICAL UNIT RESET: RESERVE holds are released; persistent reservations are not. */
    void lunReset();

    /** Where the logical unit's unit attention queues are, for PREEMPT and RELEASE notifications. */
    interface UnitAttentionSink {
        void raise(ItNexus nexus, SenseReason reason);
    }
}
