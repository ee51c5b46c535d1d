package io.depot.engine;

import java.nio.ByteBuffer;
import java.util.Arrays;

/** Deterministic test payloads: every 512-byte sector carries its origin so a stray read is recognisable. */
public final class TestData {
    private TestData() {}

    /** A buffer of {@code length} bytes derived from (seed, offset): distinct for every sector and seed. */
    public static ByteBuffer pattern(long seed, long offset, int length) {
        byte[] b = new byte[length];
        fill(b, seed, offset);
        return ByteBuffer.wrap(b);
    }

    /**
     * Fills {@code b} as if it were read at byte {@code offset}: each 512-byte sector's bytes are a
     * function of (seed, the sector's absolute position), so any aligned sub-range matches.
     */
    public static void fill(byte[] b, long seed, long offset) {
        for (int sector = 0; sector * 512 < b.length; sector++) {
            long x = (seed * 0x9E3779B97F4A7C15L) ^ ((offset + sector * 512L) * 0xC2B2AE3D27D4EB4FL) ^ 0x5DEECE66DL;
            int end = Math.min(b.length, sector * 512 + 512);
            for (int i = sector * 512; i < end; i++) {
                if ((i & 7) == 0) {
                    x ^= x << 13;
                    x ^= x >>> 7;
                    x ^= x << 17;
                }
                b[i] = (byte) (x >>> ((i & 7) * 8));
            }
        }
    }

    public static byte[] read(Volume v, long offset, int length) {
        ByteBuffer dst = ByteBuffer.allocate(length);
        v.read(offset, dst);
        return dst.array();
    }

    public static byte[] read(Snapshot s, long offset, int length) {
        ByteBuffer dst = ByteBuffer.allocate(length);
        s.read(offset, dst);
        return dst.array();
    }

    public static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        d.rewind();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    public static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    public static byte[] zeros(int n) { return new byte[n]; }

    public static boolean equal(byte[] a, byte[] b) { return Arrays.equals(a, b); }
}
