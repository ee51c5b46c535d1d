package io.depot.iscsi.fabric;

/**
 * Told about every SCSI command of one operation code that the target answers, on the
 * connection's event loop: the seam for metrics. Must be cheap and must not allocate.
 */
public interface CommandObserver {
    /**
     * @param nanos time from the command PDU's arrival to its status (data transfer included)
     * @param good  true for GOOD status, false for CHECK CONDITION and the like
     */
    void completed(long nanos, boolean good);

    CommandObserver NONE = (nanos, good) -> {};
}
