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
 *
 * <p>OVERLAY (format 2, with CHECKSUMMED) is sub-cluster copy-on-write: only the blocks set in the
 * entry's <em>own</em> mask are in its cluster; the others are read from its <em>base</em>, the physical
 * cluster of the older entry of the same volume and cluster that it replaced (which keeps its own
 * entry while this one needs it). Stored: the long, the base (8 bytes), the mask ({@code maskWords}
 * longs, bit b = block b is own), then the CRCs of every block (inherited ones copied from the base's).
 * The CRCs are always the value's last {@code 4 * blocks} bytes.
 */
public final class MappingValue {
    public static final long NONE = -1L;
    private static final long HOLE_BIT = 1L << 62;
    private static final long SHADOWS_BIT = 1L << 61;
    private static final long CHECKSUMMED_BIT = 1L << 60;
    private static final long OVERLAY_BIT = 1L << 59;
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

    /** {@code v} as an overlay (sub-cluster copy-on-write) entry, or as a complete one. */
    public static long overlay(long v, boolean overlay) { return overlay ? v | OVERLAY_BIT : v & ~OVERLAY_BIT; }

    /** True for a data entry holding only some of its blocks (see the class comment). */
    public static boolean isOverlay(long v) { return isData(v) && (v & OVERLAY_BIT) != 0; }

    /** Longs in an own-block mask of {@code blocks} blocks. */
    public static int maskWords(int blocks) { return (blocks + 63) >>> 6; }

    /** The stored form of an overlay entry: the long, its base, its mask and the CRCs of all {@code n} blocks. */
    public static byte[] encodeOverlay(long v, long base, long[] mask, int maskFrom, int[] crcs, int from, int n) {
        int words = maskWords(n);
        ByteBuffer b = ByteBuffer.allocate(16 + 8 * words + 4 * n).putLong(v).putLong(base);
        for (int w = 0; w < words; w++) {
            b.putLong(mask[maskFrom + w]);
        }
        for (int i = 0; i < n; i++) {
            b.putInt(crcs[from + i]);
        }
        return b.array();
    }

    /** The base cluster of a stored overlay entry. */
    public static long decodeBase(byte[] stored) { return ByteBuffer.wrap(stored, 8, 8).getLong(); }

    /** Copies the own-block mask of a stored overlay entry into {@code into[at..]}. */
    public static void decodeMask(byte[] stored, long[] into, int at, int words) {
        ByteBuffer b = ByteBuffer.wrap(stored, 16, 8 * words);
        for (int w = 0; w < words; w++) {
            into[at + w] = b.getLong();
        }
    }

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
        ByteBuffer b = ByteBuffer.wrap(stored, stored.length - 4 * n, 4 * n);   // always the last bytes
        for (int i = 0; i < n; i++) {
            into[at + i] = b.getInt();
        }
        return true;
    }

    public static byte[] encode(long v) { return ByteBuffer.allocate(8).putLong(v).array(); }

    public static long decode(byte[] b) { return ByteBuffer.wrap(b).getLong(); }
}
