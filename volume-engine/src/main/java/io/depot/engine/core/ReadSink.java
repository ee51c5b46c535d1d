package io.depot.engine.core;

import io.depot.engine.store.BlockStore;
import java.nio.ByteBuffer;

/**
 * Where a read's bytes go, run by run: the mapping walks (head, clone origin, snapshot) are the same
 * whether the bytes are copied into a buffer ({@link #into}) or only described for a zero-copy send
 * ({@link PlanRecorder}).
 */
interface ReadSink {
    /** The next {@code length} bytes are those of the data file at {@code position}. */
    void data(long position, int length);

    /** The next {@code length} bytes read as zeros. */
    void zeros(int length);

    /** A sink that copies into {@code dst} from its position on. */
    static ReadSink into(BlockStore blocks, ByteBuffer dst) {
        return new ReadSink() {
            @Override
            public void data(long position, int length) {
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
}
