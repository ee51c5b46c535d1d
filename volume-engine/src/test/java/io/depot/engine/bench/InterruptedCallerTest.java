package io.depot.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.Volume;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Engine bug found by the benchmark: FileBlockStore does its I/O on an interruptible FileChannel,
 * and the JDK closes such a channel for every thread when one thread doing I/O on it is interrupted
 * (ClosedByInterruptException). One interrupted caller (or Engine.close() interrupting a reclaim or
 * flatten worker with shutdownNow) therefore breaks the whole pool: later writes and the next
 * commit fail and the pipeline refuses everything until the pool is reopened.
 */
class InterruptedCallerTest {
    @TempDir Path dir;

    @Test
    void anInterruptedCallerDoesNotBreakThePoolForOthers() {
        try (Pool pool = Pool.create(dir, PoolOptions.ofCapacity(64L << 20))) {
            Volume v = pool.createVolume("v", 1L << 20);
            Thread.currentThread().interrupt();
            try {
                v.write(0, ByteBuffer.allocateDirect(4096));
            } catch (RuntimeException acceptable) {
                // failing the interrupted caller's own request is fine
            } finally {
                Thread.interrupted();   // clear the flag: the caller has moved on
            }
            ByteBuffer data = ByteBuffer.allocate(4096);
            for (int i = 0; i < 4096; i++) {
                data.put(i, (byte) (i * 31 + 7));
            }
            v.write(8192, data.duplicate());
            v.flush();
            ByteBuffer back = ByteBuffer.allocate(4096);
            v.read(8192, back);
            assertEquals(data.clear(), back.flip(), "data written after another caller's interrupt");
        }
    }
}
