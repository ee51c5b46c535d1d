package io.depot.iscsi.backstore;

import io.depot.iscsi.scsi.SenseReason;

/**
 * A backstore operation failed for a reason the initiator is told as sense data. It is the only
 * failure a {@link BlockBackend} reports, so the command layer maps one typed reason instead of
 * a storage engine's exception types. No stack trace of its own: it is an answer, and the
 * engine's exception, when there is one, is its cause for the logs.
 */
public final class BackstoreFailure extends RuntimeException {
    private static final long NO_INFORMATION = -1;

    private final SenseReason reason;
    private final long information;

    private BackstoreFailure(SenseReason reason, long information, Throwable cause) {
        super(reason.name(), cause, false, false);
        this.reason = reason;
        this.information = information;
    }

    public static BackstoreFailure of(SenseReason reason, Throwable cause) {
        return new BackstoreFailure(reason, NO_INFORMATION, cause);
    }

    /** COMPARE AND WRITE found different data; {@code offset} is the first differing byte from the start of the compared data. */
    public static BackstoreFailure miscompare(long offset, Throwable cause) {
        return new BackstoreFailure(SenseReason.MISCOMPARE_DURING_VERIFY, offset, cause);
    }

    public SenseReason reason() { return reason; }

    /** True when {@link #information} holds the sense INFORMATION field (the miscompare offset). */
    public boolean hasInformation() { return information != NO_INFORMATION; }

    public long information() { return information; }

    /** The medium could not be read or written (a disk error below the engine), as opposed to a refusal. */
    public boolean isMediumError() {
        return reason == SenseReason.UNRECOVERED_READ_ERROR || reason == SenseReason.WRITE_ERROR;
    }
}
