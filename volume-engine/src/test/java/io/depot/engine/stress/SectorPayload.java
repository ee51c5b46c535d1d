package io.depot.engine.stress;

import java.nio.ByteBuffer;
import java.util.HexFormat;

/**
 * The contents the stress test writes: every 512-byte sector names the operation, volume, sector,
 * actor and sequence number it was written for, then carries filler derived from them and a
 * checksum. A sector read back is therefore either zeros, or identifies exactly which write put it
 * there, or is recognisably garbage (torn, corrupted, or a freed cluster's raw bytes).
 */
final class SectorPayload {
    static final int BYTES = SectorRange.SECTOR;
    private static final long MAGIC = 0x4445504f54535452L;   // "DEPOTSTR"
    private static final int CHECKSUM_AT = BYTES - 8;

    enum Kind { ZERO, DATA, GARBAGE }

    record Decoded(Kind kind, long opId, int volumeId, long sector, int actorId, long seq) {}

    private SectorPayload() {}

    /** The bytes {@code op} writes over its whole range. */
    static byte[] image(Op op) {
        byte[] b = new byte[op.range.byteLength()];
        for (int i = 0; i < op.range.count(); i++) {
            fill(b, i * BYTES, op, op.range.first() + i);
        }
        return b;
    }

    private static void fill(byte[] b, int at, Op op, long sector) {
        ByteBuffer s = ByteBuffer.wrap(b).slice(at, BYTES);
        s.putLong(MAGIC).putLong(op.id).putInt(op.volume.id).putLong(sector).putInt(op.actorId).putLong(op.seq);
        long x = op.id * 0x9E3779B97F4A7C15L ^ sector * 0xC2B2AE3D27D4EB4FL ^ 0x5DEECE66DL;
        while (s.position() < CHECKSUM_AT) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            s.putLong(x);
        }
        s.putLong(checksum(b, at));
    }

    static Decoded decode(byte[] b, int at) {
        boolean zero = true;
        for (int i = at; i < at + BYTES; i++) {
            if (b[i] != 0) {
                zero = false;
                break;
            }
        }
        if (zero) {
            return new Decoded(Kind.ZERO, 0, 0, 0, 0, 0);
        }
        ByteBuffer s = ByteBuffer.wrap(b).slice(at, BYTES);
        if (s.getLong(0) != MAGIC || s.getLong(CHECKSUM_AT) != checksum(b, at)) {
            return new Decoded(Kind.GARBAGE, 0, 0, 0, 0, 0);
        }
        return new Decoded(Kind.DATA, s.getLong(8), s.getInt(16), s.getLong(20), s.getInt(28), s.getLong(32));
    }

    static String hexHead(byte[] b, int at) {
        return HexFormat.of().formatHex(b, at, at + 40) + "...";
    }

    private static long checksum(byte[] b, int at) {
        long h = 0xcbf29ce484222325L;
        for (int i = at; i < at + CHECKSUM_AT; i++) {
            h ^= b[i] & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }
}
