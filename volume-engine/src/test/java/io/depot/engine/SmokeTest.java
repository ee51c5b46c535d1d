package io.depot.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SmokeTest {
    @TempDir Path dir;

    @Test
    void writeSnapshotCloneReopen() {
        byte[] a = TestData.bytes(TestData.pattern(1, 0, 4096));
        byte[] b = TestData.bytes(TestData.pattern(2, 0, 4096));
        try (Pool pool = Pool.create(dir, PoolOptions.ofCapacity(64L << 20))) {
            Volume v = pool.createVolume("v1", 1L << 30);
            assertTrue(TestData.isZero(TestData.read(v, 0, 8192)));
            v.write(4096, ByteBuffer.wrap(a));
            Snapshot s = v.createSnapshot("s1");
            v.write(4096, ByteBuffer.wrap(b));
            assertArrayEquals(b, TestData.read(v, 4096, 4096));
            assertArrayEquals(a, TestData.read(s, 4096, 4096));
            Volume c = s.linkedClone("c1");
            assertArrayEquals(a, TestData.read(c, 4096, 4096));
            v.flush();
            assertEquals(java.util.List.of(), pool.verify());
        }
        try (Pool pool = Pool.open(dir)) {
            Volume v = pool.volume("v1");
            assertArrayEquals(b, TestData.read(v, 4096, 4096));
            assertArrayEquals(a, TestData.read(v.snapshot("s1"), 4096, 4096));
            assertArrayEquals(a, TestData.read(pool.volume("c1"), 4096, 4096));
            assertEquals(java.util.List.of(), pool.verify());
        }
    }
}
