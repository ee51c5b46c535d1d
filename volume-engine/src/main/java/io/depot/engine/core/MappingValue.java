package io.depot.engine.core;

import java.nio.ByteBuffer;

/**
 * A mapping entry packed in one long: where a cluster's data lives, or that it is a hole.
 *
 * <ul>
 *   <li>{@link #NONE} (-1): the volume has no entry of its own; read through to the clone origin, else zeros.</li>
 *   <li>hole: reads as zeros, and hides anything older (a snapshot's data, a clone origin's data).</li>
 *   <li>data: a physical cluster index (up to 2^40) and the SHADOWS flag.</li>
 * </ul>
 * SHADOWS means something may lie beneath this entry (an older entry kept for a snapshot, or a
 * clone origin): removing the entry must then leave a hole rather than simply delete it.
 *
 * <p>CHECKSUMMED (pool format 2) means the stored value carries a CRC32C for every 4 KiB block of
 * the cluster after the long: {@code 8 + 4 * blocksPerCluster} bytes, big-endian. A data entry
 * without it (written by format 1, not yet upgraded) is read unverified. Deadlist copies of a value
 * ({@code D} keys) keep the long only: the CRCs live in the {@code M} entry.
 */
public final class MappingValue {
    public static final long NONE = -1L;
    private static final long HOLE_BIT = 1L << 62;
    private static final long SHADOWS_BIT = 1L << 61;
    private static final long CHECKSUMMED_BIT = 1L << 60;
    private static final long PHYS_MASK = (1L << 40) - 1;

    private MappingValue() {}

    public static long data(long phys, boolean shadows) { return phys | (shadows ? SHADOWS_BIT : 0); }

    public static long hole() { return HOLE_BIT | SHADOWS_BIT; }

    public static boolean isNone(long v) { return v == NONE; }

    public static boolean isHole(long v) { return v != NONE && (v & HOLE_BIT) != 0; }

    public static boolean isData(long v) { return v != NONE && (v & HOLE_BIT) == 0; }

    public static boolean shadows(long v) { return v != NONE && (v & SHADOWS_BIT) != 0; }

    public static long phys(long v) { return v & PHYS_MASK; }

    /** {@code v} marked as carrying checksums. */
    public static long checksummed(long v) { return v | CHECKSUMMED_BIT; }

    /** True for a data entry whose blocks have CRCs. */
    public static boolean hasChecksums(long v) { return isData(v) && (v & CHECKSUMMED_BIT) != 0; }

    /** The stored form of a checksummed entry: the long, then {@code n} CRCs from {@code crcs[from]}. */
    public static byte[] encode(long v, int[] crcs, int from, int n) {
        ByteBuffer b = ByteBuffer.allocate(8 + 4 * n).putLong(v);
        for (int i = 0; i < n; i++) {
            b.putInt(crcs[from + i]);
        }
        return b.array();
    }

    /** Copies the {@code n} CRCs of a stored checksummed entry into {@code into[at]}; false if it has none. */
    public static boolean decodeCrcs(byte[] stored, int[] into, int at, int n) {
        if (stored.length < 8 + 4 * n) {
            return false;
        }
        ByteBuffer b = ByteBuffer.wrap(stored, 8, 4 * n);
        for (int i = 0; i < n; i++) {
            into[at + i] = b.getInt();
        }
        return true;
    }

    public static byte[] encode(long v) { return ByteBuffer.allocate(8).putLong(v).array(); }

    public static long decode(byte[] b) { return ByteBuffer.wrap(b).getLong(); }
}
