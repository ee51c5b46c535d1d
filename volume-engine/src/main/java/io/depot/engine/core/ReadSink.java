package io.depot.engine.core;

import io.depot.engine.store.BlockStore;
import java.nio.ByteBuffer;

/**
 * Where a read's bytes go, run by run: the mapping walks (head, clone origin, snapshot) are the same
 * whether the bytes are copied into a buffer ({@link #into}) or only described for a zero-copy send
 * ({@link PlanRecorder}).
 */
interface ReadSink {
    /** The next {@code length} bytes are those of the data file at {@code position} (not checked). */
    default void data(long position, int length) { data(position, length, null); }

    /**
     * The next {@code length} bytes are those of the data file at {@code position}; every block
     * {@code checks} has a CRC for is verified first (a mismatch throws, nothing of the block is
     * delivered). Null: nothing to check.
     */
    void data(long position, int length, RunChecks checks);

    /** The next {@code length} bytes read as zeros. */
    void zeros(int length);

    /** A sink that copies into {@code dst} from its position on. */
    static ReadSink into(BlockStore blocks, ByteBuffer dst) {
        return new ReadSink() {
            @Override
            public void data(long position, int length, RunChecks checks) {
                if (checks != null && checks.any()) {
                    readChecked(blocks, dst, position, length, checks);
                    return;
                }
                int limit = dst.limit();
                dst.limit(dst.position() + length);
                try {
                    blocks.read(dst, position);
                } finally {
                    dst.limit(limit);
                }
            }

            @Override
            public void zeros(int length) {
                PoolContext.putZeros(dst, length);
            }
        };
    }

    /**
     * Reads a run into {@code dst} block by block as checked: whole blocks straight into {@code dst}
     * and checked there; a block the run covers only part of is read whole into a scratch block,
     * checked, and the part wanted copied.
     */
    private static void readChecked(BlockStore blocks, ByteBuffer dst, long position, int length, RunChecks checks) {
        long pos = position;
        long end = position + length;
        while (pos < end) {
            long blockStart = pos & -BlockChecksums.BLOCK;
            long blockEnd = blockStart + BlockChecksums.BLOCK;
            if (pos != blockStart || blockEnd > end) {
                ByteBuffer block = BlockChecksums.scratch();
                blocks.read(block, blockStart);
                checks.check(blockStart, block, 0);
                int n = (int) (Math.min(blockEnd, end) - pos);
                dst.put(dst.position(), block, (int) (pos - blockStart), n);
                dst.position(dst.position() + n);
                pos += n;
                continue;
            }
            long wholeEnd = end & -BlockChecksums.BLOCK;
            int n = (int) (wholeEnd - pos);
            int at = dst.position();
            int limit = dst.limit();
            dst.limit(at + n);
            try {
                blocks.read(dst, pos);
            } finally {
                dst.limit(limit);
            }
            for (int k = 0; k < n; k += BlockChecksums.BLOCK) {
                checks.check(pos + k, dst, at + k);
            }
            pos = wholeEnd;
        }
    }
}
