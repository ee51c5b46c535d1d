package io.depot.nfs.nlm;

/**
 * A byte range as NLM4 sends it: {@code offset} and {@code length} are unsigned 64-bit numbers,
 * and length 0 means "from offset to the end of the file, however large it grows". A range whose
 * end would pass 2^64 also runs to the end of the file (what Linux lockd does rather than refuse
 * it), and is stored with length 0, so equal ranges are equal records.
 *
 * <p>All arithmetic is unsigned: an offset of {@code 0xFFFF_FFFF_FFFF_FFF0L} is a large positive
 * offset, not a negative one.
 *
 * @param offset the first byte, unsigned
 * @param length the number of bytes, unsigned; 0 for "to the end of the file"
 */
public record LockRange(long offset, long length) {
    /** The last byte of a range that runs to the end of the file: 2^64 - 1 as unsigned. */
    static final long END = -1L;

    /** Normalizes a range whose end passes 2^64 (or lands exactly on it) to length 0. */
    public LockRange {
        if (length != 0) {
            long last = offset + length - 1;
            // Wrapped past 2^64 (last below offset, unsigned) or ends at the very last byte.
            if (Long.compareUnsigned(last, offset) < 0 || last == END) {
                length = 0;
            }
        }
    }

    /** The whole file: offset 0 to the end. */
    public static LockRange whole() {
        return new LockRange(0, 0);
    }

    /** The range from {@code offset} to {@code last}, both inclusive and unsigned. */
    static LockRange ofLast(long offset, long last) {
        return new LockRange(offset, last == END ? 0 : last - offset + 1);
    }

    /** The last byte of the range, inclusive and unsigned; {@link #END} when it runs to the end. */
    long last() {
        return length == 0 ? END : offset + length - 1;
    }

    /** Whether the range runs to the end of the file. */
    public boolean toEnd() {
        return length == 0;
    }

    /** Whether the two ranges share at least one byte. */
    public boolean overlaps(LockRange other) {
        return Long.compareUnsigned(offset, other.last()) <= 0 && Long.compareUnsigned(other.offset, last()) <= 0;
    }

    /** Whether the two ranges share a byte or one starts right after the other ends (fcntl merges those). */
    boolean touches(LockRange other) {
        return overlaps(other) || (last() != END && last() + 1 == other.offset) || (other.last() != END && other.last() + 1 == offset);
    }

    /** Whether every byte of {@code other} is in this range. */
    public boolean contains(LockRange other) {
        return Long.compareUnsigned(offset, other.offset) <= 0 && Long.compareUnsigned(other.last(), last()) <= 0;
    }

    @Override
    public String toString() {
        return "[" + Long.toUnsignedString(offset) + ".." + (toEnd() ? "EOF" : Long.toUnsignedString(last())) + "]";
    }
}
