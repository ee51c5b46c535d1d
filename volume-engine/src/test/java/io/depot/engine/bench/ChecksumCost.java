package io.depot.engine.bench;

import io.depot.engine.bench.Comparison.Result;
import io.depot.engine.bench.Comparison.Side;
import io.depot.engine.bench.Comparison.Unit;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * What pool format 2's checksums cost on their own: the raw file's I/O with a CRC32C of every 4 KiB
 * block added (computed before each write, verified after each read, as the engine does), against
 * the same raw I/O without, interleaved like every row. The engine rows ("4k randwrite overwrite",
 * "4k randread", "1m seqwrite overwrite", "1m seqread") carry the same cost inside the engine; this
 * isolates it from everything else the engine does.
 */
final class ChecksumCost {
    static final String NAME = "crc32c cost";
    private static final int BLOCK = 4096;

    private ChecksumCost() {}

    static List<Result> run(BenchOptions o, IoTarget raw) {
        List<Result> out = new ArrayList<>();
        if (!o.selected(NAME)) {
            return out;
        }
        Side plain = round -> raw;
        Side checked = round -> checked(raw);
        int k4 = BLOCK;
        int m1 = 1 << 20;
        out.add(Comparison.run(NAME + ": 4k randwrite", Unit.IOPS, 0.95, "raw + CRC32C of each block before the write", o, k4, true,
                r -> OffsetPattern.random(o.seed() + r, o.threads(), o.ops4k(), o.sizeBytes(), k4), checked, plain));
        out.add(Comparison.run(NAME + ": 4k randread", Unit.IOPS, 0.95, "raw + CRC32C of each block after the read", o, k4, false,
                r -> OffsetPattern.random(o.seed() + r, o.threads(), o.ops4k(), o.sizeBytes(), k4), checked, plain));
        out.add(Comparison.run(NAME + ": 1m seqwrite", Unit.MIB_PER_S, 0.95, "raw + 256 CRC32C per write", o, m1, true,
                r -> OffsetPattern.sequentialSlices(o.threads(), o.sizeBytes(), m1), checked, plain));
        out.add(Comparison.run(NAME + ": 1m seqread", Unit.MIB_PER_S, 0.95, "raw + 256 CRC32C per read", o, m1, false,
                r -> OffsetPattern.sequentialSlices(o.threads(), o.sizeBytes(), m1), checked, plain));
        return out;
    }

    /** {@code target} with a CRC32C of every 4 KiB block of each buffer written or read. */
    static IoTarget checked(IoTarget target) {
        return new IoTarget() {
            public void write(long offset, ByteBuffer src) {
                sink(crcs(src, src.position(), src.remaining()));
                target.write(offset, src);
            }

            public void read(long offset, ByteBuffer dst) {
                int at = dst.position();
                target.read(offset, dst);
                sink(crcs(dst, at, dst.position() - at));
            }

            public void flush() { target.flush(); }
        };
    }

    private static int crcs(ByteBuffer b, int at, int length) {
        int x = 0;
        for (int k = 0; k + BLOCK <= length; k += BLOCK) {
            CRC32C c = new CRC32C();
            c.update(b.slice(at + k, BLOCK));
            x ^= (int) c.getValue();
        }
        return x;
    }

    /** Keeps the CRCs observable so the JIT cannot drop them (a rare store, no shared write per I/O). */
    private static volatile int sunk;

    private static void sink(int crc) {
        if (crc == 0x5eed) {
            sunk = crc;
        }
    }
}
