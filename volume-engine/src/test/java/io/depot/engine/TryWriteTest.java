package io.depot.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * {@link Volume#tryWrite}: an overwrite in place of data the head alone owns is written like
 * {@link Volume#write}; anything that would allocate, copy on write, fill a hole of the data file
 * or wait is refused with the source untouched.
 */
class TryWriteTest extends PoolFixture {
    private static final int CLUSTER = 65536;

    private static boolean tryWrite(Volume v, long offset, ByteBuffer src) {
        int before = src.position();
        boolean done = v.tryWrite(offset, src);
        assertEquals(done ? src.limit() : before, src.position(), "position after tryWrite (" + done + ")");
        return done;
    }

    @Test
    void overwritesTheHeadsOwnClustersInPlace() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 1, 16 * CLUSTER);
        long used = pool.usage().usedBytes();
        assertTrue(tryWrite(v, 512, TestData.pattern(2, 512, 8 * CLUSTER)), "an overwrite across clusters, sector-aligned");
        assertArrayEquals(expected(2, 512, 8 * CLUSTER), TestData.read(v, 512, 8 * CLUSTER));
        assertArrayEquals(expected(1, 0, 512), TestData.read(v, 0, 512), "the sector before is untouched");
        assertEquals(used, pool.usage().usedBytes(), "nothing allocated");
        v.flush();
        assertEquals(java.util.List.of(), pool.verify());
    }

    @Test
    void refusesWhatWouldAllocateCopyOnWriteOrFillAHole() {
        Volume v = pool().createVolume("v", GiB);
        assertFalse(tryWrite(v, 0, TestData.pattern(1, 0, CLUSTER)), "first write: allocates");
        write(v, 0, 1, 4 * CLUSTER);
        assertFalse(tryWrite(v, 3 * CLUSTER, TestData.pattern(1, 3 * CLUSTER, 2 * CLUSTER)), "the second cluster was never written");
        assertFalse(tryWrite(v, 100, TestData.pattern(1, 100, 512)), "unaligned");
        assertFalse(tryWrite(v, GiB - 512, TestData.pattern(1, 0, 1024)), "past the end");
        v.createSnapshot("s");
        assertFalse(tryWrite(v, 0, TestData.pattern(3, 0, CLUSTER)), "shared with a snapshot: copy on write");
        write(v, 0, 3, CLUSTER); // now the head's own again
        assertTrue(tryWrite(v, 0, TestData.pattern(4, 0, CLUSTER)));
        assertArrayEquals(expected(4, 0, CLUSTER), TestData.read(v, 0, CLUSTER));

        Volume h = pool.createVolume("holey", GiB);
        write(h, 4096, 5, 4096); // a partial first write into a clean cluster: the rest is a hole in the data file
        assertFalse(tryWrite(h, 0, TestData.pattern(6, 0, CLUSTER)), "would fill a hole of the data file");
        assertArrayEquals(expected(5, 4096, 4096), TestData.read(h, 4096, 4096), "untouched");
    }
}
