package io.depot.engine.core;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * CRC32C of 4 KiB blocks ({@code java.util.zip.CRC32C}: the JIT turns it into the CPU's crc32
 * instructions, tens of GB/s, so a checksum costs far less than the copy that brought the bytes).
 */
final class BlockChecksums {
    static final int BLOCK = 4096;
    static final int SHIFT = 12;
    /** The CRC of a block of zeros (a clean cluster's unwritten blocks). */
    static final int ZERO_BLOCK;

    static {
        ZERO_BLOCK = crc(PoolContext.zeros(BLOCK), 0, BLOCK);
    }

    private BlockChecksums() {}

    /**
     * CRC32C of {@code length} bytes of {@code buf} from absolute index {@code at}. Its position and
     * limit are moved for the call and put back (no slice object per block on the read path): the
     * buffer must not be used by another thread meanwhile, which holds for every caller (a read's
     * destination, a write's source, a pooled cluster buffer, a view made for the caller).
     */
    static int crc(ByteBuffer buf, int at, int length) {
        int position = buf.position();
        int limit = buf.limit();
        CRC32C c = new CRC32C();   // escape analysis keeps it off the heap
        try {
            buf.limit(buf.capacity()).position(at).limit(at + length);
            c.update(buf);
        } finally {
            buf.limit(buf.capacity()).position(position).limit(limit);
        }
        return (int) c.getValue();
    }

    /** CRCs of the {@code n} whole blocks of {@code buf} from absolute index {@code at}, into {@code into[from..]}. */
    static void crcs(ByteBuffer buf, int at, int n, int[] into, int from) {
        for (int b = 0; b < n; b++) {
            into[from + b] = crc(buf, at + b * BLOCK, BLOCK);
        }
    }

    /** A per-thread direct buffer of one block, for the edges of requests that cover part of a block. */
    static ByteBuffer scratch() {
        ByteBuffer b = SCRATCH.get();
        b.clear();
        return b;
    }

    private static final ThreadLocal<ByteBuffer> SCRATCH = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(BLOCK));
}
