package io.depot.engine;

/**
 * An atomic compare-and-write found different data; nothing was written.
 * {@link #mismatchOffset()} is the byte offset, relative to the start of the request,
 * of the first byte that differed (SCSI reports it in the sense INFORMATION field).
 */
public class CompareMismatchException extends EngineException {
    private final long mismatchOffset;

    public CompareMismatchException(long mismatchOffset) {
        super("compare-and-write miscompare at byte " + mismatchOffset + " of the request");
        this.mismatchOffset = mismatchOffset;
    }

    public long mismatchOffset() { return mismatchOffset; }
}
