package io.depot.iscsi.fabric;

import io.depot.iscsi.scsi.TaskAttribute;
import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/**
 * One SCSI command inside a session, from its SCSI Command PDU to its status: what the
 * initiator sent, the collector of its write data and its place in the life cycle. Touched
 * only on the connection's event loop, except {@link #done}.
 */
final class IscsiTask {
    enum State { RECEIVING_DATA, QUEUED, EXECUTING, ABORTED, DONE }

    final int itt;
    final int cmdSN;
    final long lun;
    /** The LUN field as the initiator sent it, echoed in Data-In and R2T PDUs. */
    final long lunField;
    final byte[] cdb;
    final TaskAttribute attribute;
    final boolean read;
    final boolean write;
    final int expectedLength;
    final boolean immediate;
    /** When the command PDU arrived: the start of the latency reported to the metrics. */
    final long arrivedNanos = System.nanoTime();
    /** Data-out bytes the CDB carries as the command layer reads it, or -1 when it does not say; see {@link #needed()}. */
    int wanted = -1;

    State state = State.RECEIVING_DATA;
    /** Handed to the command layer (counts as running until it finishes). */
    boolean started;
    /** Gathers the write data; null for tasks that carry none. */
    DataOutCollector dataOut;

    /** Completed when the task's work has stopped (status sent, or abort finished). */
    final CompletableFuture<Void> done = new CompletableFuture<>();

    IscsiTask(int itt, int cmdSN, long lun, long lunField, byte[] cdb, TaskAttribute attribute, boolean read, boolean write,
              int expectedLength, boolean immediate) {
        this.itt = itt;
        this.cmdSN = cmdSN;
        this.lun = lun;
        this.lunField = lunField;
        this.immediate = immediate;
        this.cdb = cdb;
        this.attribute = attribute;
        this.read = read;
        this.write = write;
        this.expectedLength = expectedLength;
    }

    /**
     * Data-out bytes to gather: the expected length, or less when the CDB needs less (the rest
     * is reported as underflow residual and never solicited).
     */
    int needed() {
        return wanted >= 0 ? Math.min(wanted, expectedLength) : expectedLength;
    }

    /** The gathered Data-Out for the command layer, or null. */
    ByteBuf data() { return dataOut == null ? null : dataOut.data(); }

    /** R2Ts sent for this task. */
    int r2tsSent() { return dataOut == null ? 0 : dataOut.r2tsSent(); }

    /** Gives back the Data-Out buffer (and its budget). */
    void releaseData() {
        if (dataOut != null) {
            dataOut.release();
        }
    }

    @Override
    public String toString() {
        return String.format("task itt=0x%08x cmdSN=%d lun=%d op=0x%02x", itt, cmdSN, lun, cdb[0] & 0xff);
    }
}
