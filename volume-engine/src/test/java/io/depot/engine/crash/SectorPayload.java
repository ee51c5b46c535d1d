package io.depot.engine.crash;

import java.nio.ByteBuffer;

/**
 * The content of every sector the worker writes, derived from (write id, volume, sector) so the
 * journal need not store payloads and a checker can tell exactly whose bytes it is looking at.
 *
 * <p>Layout of a 512-byte sector: the write id (8 bytes), then volume and sector packed in 8 bytes
 * ({@code volume << 48 | sector}), then 496 bytes of a pseudo-random stream seeded by all three.
 * A sector is accepted as write N's only if every byte matches, so a sector torn inside itself, or
 * holding another write's or another place's bytes, is recognised for what it is.
 */
final class SectorPayload {
    private SectorPayload() {}

    static final int SECTOR = CrashLayout.SECTOR;

    /** What a sector on disk turned out to hold. */
    record Identity(Kind kind, long writeId, int volume, long sector) {
        enum Kind { ZERO, PAYLOAD, GARBAGE }

        static final Identity ZERO = new Identity(Kind.ZERO, 0, -1, -1);

        String describe() {
            return switch (kind) {
                case ZERO -> "zeros";
                case PAYLOAD -> "write " + writeId + "'s data for volume " + volume + " sector " + sector;
                case GARBAGE -> writeId > 0
                        ? "garbage (header claims write " + writeId + ", volume " + volume + ", sector " + sector + ", but the body does not match)"
                        : "garbage (no valid header)";
            };
        }
    }

    /** Writes the payload of {@code sectors} consecutive sectors starting at {@code firstSector} into {@code dst}. */
    static void fill(ByteBuffer dst, long writeId, int volume, long firstSector, int sectors) {
        for (int i = 0; i < sectors; i++) {
            long sector = firstSector + i;
            dst.putLong(writeId);
            dst.putLong(tag(volume, sector));
            long x = seed(writeId, volume, sector);
            for (int w = 2; w < SECTOR / 8; w++) {
                x = next(x);
                dst.putLong(x);
            }
        }
    }

    /** Identifies the sector at {@code buf}'s absolute {@code position}. */
    static Identity identify(ByteBuffer buf, int position) {
        boolean zero = true;
        for (int w = 0; w < SECTOR / 8 && zero; w++) {
            zero = buf.getLong(position + w * 8) == 0;
        }
        if (zero) {
            return Identity.ZERO;
        }
        long writeId = buf.getLong(position);
        long tag = buf.getLong(position + 8);
        int volume = (int) (tag >>> 48);
        long sector = tag & ((1L << 48) - 1);
        long x = seed(writeId, volume, sector);
        for (int w = 2; w < SECTOR / 8; w++) {
            x = next(x);
            if (buf.getLong(position + w * 8) != x) {
                return new Identity(Identity.Kind.GARBAGE, writeId, volume, sector);
            }
        }
        return new Identity(Identity.Kind.PAYLOAD, writeId, volume, sector);
    }

    private static long tag(int volume, long sector) { return ((long) volume << 48) | sector; }

    private static long seed(long writeId, int volume, long sector) {
        long x = writeId * 0x9E3779B97F4A7C15L ^ tag(volume, sector) * 0xC2B2AE3D27D4EB4FL;
        return x == 0 ? 1 : x;
    }

    /** xorshift64: cheap, and never zero, so a payload sector is never all zeros. */
    private static long next(long x) {
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        return x;
    }
}
