package io.depot.iscsi.scsi;

import java.util.List;

/**
 * The seam between a fabric (iSCSI today) and SCSI emulation: one instance per SCSI target
 * device (an iSCSI target name with its LUN map). Thread-safe; {@link #execute} blocks and is
 * called from I/O worker threads, many at once, never from a network event loop.
 */
public interface CommandLayer {

    /** {@link #dataOutLength}'s answer for a command whose CDB defines no Data-Out (a read, an unknown opcode). */
    long NO_DATA_OUT_DEFINED = -1;

    /**
     * Bytes of Data-Out a command carries by its CDB (transfer length, parameter list length),
     * read from the fields its handler reads: what the fabric solicits and reports residuals
     * against (RFC 7143 §11.4.5). {@link #NO_DATA_OUT_DEFINED} when the CDB defines none; the fabric
     * then takes the initiator's expected length. The fabric decodes no CDB itself.
     *
     * <p>Called on a network event loop for every command: it neither blocks nor allocates, and
     * it does not validate (the command is checked when it runs).
     */
    long dataOutLength(byte[] cdb);

    /** Runs one command to completion. Never throws: every failure is a status with sense. */
    ScsiResult execute(ScsiCommand command);

    /** LUNs currently mapped, ascending. */
    List<Long> luns();

    /** A nexus logged in (a new session): it starts with a POWER ON/RESET unit attention. */
    void nexusAdded(ItNexus nexus);

    /** A nexus is gone (session closed or reinstated): drop its unit attentions and RESERVE(6/10) holds. */
    void nexusRemoved(ItNexus nexus);

    /**
     * LOGICAL UNIT RESET from {@code requester} (the fabric has already aborted the LU's tasks):
     * releases RESERVE holds, sets BUS DEVICE RESET unit attention for every other nexus.
     * Returns false if the LUN does not exist.
     */
    boolean lunReset(long lun, ItNexus requester);

    /** TARGET WARM/COLD RESET: a LUN reset of every LUN. */
    void targetReset(ItNexus requester);

    /**
     * Tasks of other nexuses were aborted by {@code requester} (CLEAR TASK SET / ABORT TASK SET with TAS=0):
     * they get COMMANDS CLEARED BY ANOTHER INITIATOR unit attention.
     */
    void tasksClearedBy(long lun, ItNexus requester);
}
