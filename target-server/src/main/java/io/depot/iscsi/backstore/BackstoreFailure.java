package io.depot.iscsi.backstore;

/**
 * A backstore operation failed for a reason the initiator is told about. It is the only failure a
 * {@link BlockBackend} reports, so the command layer maps one small set of typed reasons to sense
 * data ({@code scsi.LogicalUnit}) instead of a storage engine's exception types, and the backstore
 * needs no SCSI vocabulary. No stack trace of its own: it is an answer, and the engine's
 * exception, when there is one, is its cause for the logs.
 */
public final class BackstoreFailure extends RuntimeException {
    /** Why a backstore operation failed. */
    public enum Reason {
        /** The pool has no space for the data (a thin device out of space). */
        NO_SPACE,
        /** The device refuses changes (a snapshot, a read-only volume). */
        READ_ONLY,
        /** COMPARE AND WRITE found different data; {@link #information} is the first differing byte. */
        MISCOMPARE,
        /** The medium could not be read or written (a disk error below the engine), not a refusal. */
        MEDIUM_ERROR,
        /** The range lies past the device's end (it shrank after the command layer's range check). */
        OUT_OF_RANGE,
        /**
         * Data read from the medium failed its checksum and was not returned; {@link #information}
         * is the device's byte offset of the first damaged byte. A read's failure whatever the
         * command (a write's read-modify-write too), as a disk reports an unreadable sector.
         */
        DAMAGED_DATA
    }

    private static final long NO_INFORMATION = -1;

    private final Reason reason;
    private final long information;

    private BackstoreFailure(Reason reason, long information, Throwable cause) {
        super(reason.name(), cause, false, false);
        this.reason = reason;
        this.information = information;
    }

    public static BackstoreFailure of(Reason reason, Throwable cause) {
        return new BackstoreFailure(reason, NO_INFORMATION, cause);
    }

    /** COMPARE AND WRITE found different data; {@code offset} is the first differing byte from the start of the compared data. */
    public static BackstoreFailure miscompare(long offset, Throwable cause) {
        return new BackstoreFailure(Reason.MISCOMPARE, offset, cause);
    }

    /** Data at device byte {@code offset} (the first damaged byte) failed its checksum on the way in. */
    public static BackstoreFailure damagedData(long offset, Throwable cause) {
        return new BackstoreFailure(Reason.DAMAGED_DATA, offset, cause);
    }

    public Reason reason() { return reason; }

    /** True when {@link #information} holds a byte offset for the sense INFORMATION field (a miscompare, damaged data). */
    public boolean hasInformation() { return information != NO_INFORMATION; }

    public long information() { return information; }
}
