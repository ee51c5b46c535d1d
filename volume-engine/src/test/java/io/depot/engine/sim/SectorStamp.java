package io.depot.engine.sim;

/**
 * The payload of one 512-byte sector written by the simulation: it names the volume that wrote it,
 * the sector it was written to and the write's number, and the rest of the sector is derived from
 * those three, so a read can tell precisely where its bytes came from (or that they are garbage).
 */
public record SectorStamp(long volume, long sector, long write) {
    public static final int SIZE = 512;
    private static final long MAGIC = 0x5EC7_0DA7_A5EC_7011L;

    /** Writes this stamp into {@code dst[at .. at+512)}. */
    public void writeTo(byte[] dst, int at) {
        putLong(dst, at, MAGIC);
        putLong(dst, at + 8, volume);
        putLong(dst, at + 16, sector);
        putLong(dst, at + 24, write);
        long x = seed();
        for (int i = 32; i < SIZE; i += 8) {
            x = next(x);
            putLong(dst, at + i, x);
        }
    }

    /** What a sector read back holds. */
    public sealed interface Content permits Zeros, Stamped, Garbage {}

    public record Zeros() implements Content {}

    public record Stamped(SectorStamp stamp) implements Content {}

    public record Garbage(String why) implements Content {}

    public static Content decode(byte[] src, int at) {
        boolean zero = true;
        for (int i = 0; i < SIZE && zero; i++) {
            zero = src[at + i] == 0;
        }
        if (zero) {
            return new Zeros();
        }
        if (getLong(src, at) != MAGIC) {
            return new Garbage("no stamp (first bytes " + Long.toHexString(getLong(src, at)) + ")");
        }
        SectorStamp s = new SectorStamp(getLong(src, at + 8), getLong(src, at + 16), getLong(src, at + 24));
        long x = s.seed();
        for (int i = 32; i < SIZE; i += 8) {
            x = next(x);
            if (getLong(src, at + i) != x) {
                return new Garbage("stamp " + s + " but body differs at byte " + i + " (a sector mixed from two writes)");
            }
        }
        return new Stamped(s);
    }

    private long seed() {
        return (volume * 0x9E3779B97F4A7C15L) ^ (sector * 0xC2B2AE3D27D4EB4FL) ^ (write * 0x165667B19E3779F9L) ^ MAGIC;
    }

    private static long next(long x) {
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        return x;
    }

    private static void putLong(byte[] b, int at, long v) {
        for (int i = 7; i >= 0; i--) {
            b[at + i] = (byte) v;
            v >>>= 8;
        }
    }

    private static long getLong(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[at + i] & 0xFF);
        }
        return v;
    }
}
