package io.depot.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link Volume#tryRead}: the same bytes as {@link Volume#read} when it answers, and a refusal
 * (position unchanged) whenever it would have to wait: bytes not in the page cache (dropped with
 * dd's nocache flag, i.e. posix_fadvise DONTNEED), mapping pages not cached, clone read-through.
 */
class TryReadTest extends PoolFixture {
    private static final int CLUSTER = 65536;

    private static ByteBuffer direct(int n) {
        return ByteBuffer.allocateDirect(n);
    }

    private static boolean tryRead(Volume v, long offset, ByteBuffer dst) {
        int before = dst.position();
        boolean done = v.tryRead(offset, dst);
        assertEquals(done ? dst.limit() : before, dst.position(), "position after tryRead (" + done + ")");
        return done;
    }

    /** Drops the pool data file's clean pages from the OS page cache. */
    private void dropDataFromPageCache() throws Exception {
        Process p = new ProcessBuilder("dd", "if=" + dir.resolve("pool/data"), "iflag=nocache", "count=0")
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "dd finished");
        assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes()));
    }

    @Test
    void answersFromMemoryWithTheBytesReadGives() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 7, 20 * CLUSTER);
        write(v, 40 * CLUSTER, 8, CLUSTER); // a hole between: zeros
        ByteBuffer dst = direct(48 * CLUSTER);
        assertTrue(tryRead(v, 0, dst));
        byte[] got = TestData.bytes(dst.flip());
        assertArrayEquals(TestData.read(v, 0, 48 * CLUSTER), got);
        assertArrayEquals(expected(7, 0, 20 * CLUSTER), java.util.Arrays.copyOf(got, 20 * CLUSTER));
        assertTrue(TestData.isZero(java.util.Arrays.copyOfRange(got, 20 * CLUSTER, 40 * CLUSTER)));
        // an unaligned start within a cluster, into a buffer at a nonzero position
        ByteBuffer part = direct(4096 + 3 * CLUSTER).position(4096);
        assertTrue(tryRead(v, 512, part));
        assertArrayEquals(expected(7, 512, 3 * CLUSTER), TestData.bytes(part.position(4096).slice()));
    }

    @Test
    void refusesWhatIsNotInThePageCacheUntilAReadBringsItBack() throws Exception {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 3, 16 * CLUSTER);
        v.flush(); // clean pages, which the kernel may drop
        dropDataFromPageCache();
        assertFalse(tryRead(v, 0, direct(16 * CLUSTER)), "data evicted: would wait for the disk");
        assertArrayEquals(expected(3, 0, 16 * CLUSTER), TestData.read(v, 0, 16 * CLUSTER));
        ByteBuffer dst = direct(16 * CLUSTER);
        assertTrue(tryRead(v, 0, dst), "read back into the page cache");
        assertArrayEquals(expected(3, 0, 16 * CLUSTER), TestData.bytes(dst.flip()));
    }

    @Test
    void refusesUncachedMappingsCloneReadThroughAndBadRanges() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 5, 4 * CLUSTER);
        Snapshot s = v.createSnapshot("s");
        Volume c = s.linkedClone("c");
        assertFalse(tryRead(c, 0, direct(CLUSTER)), "a linked clone reads its origin's clusters: left to read()");
        write(c, 0, 6, CLUSTER); // the clone's own cluster answers, the next still reads through
        ByteBuffer own = direct(CLUSTER);
        assertTrue(tryRead(c, 0, own));
        assertArrayEquals(expected(6, 0, CLUSTER), TestData.bytes(own.flip()));
        assertFalse(tryRead(c, 0, direct(2 * CLUSTER)));

        Volume fresh = pool.createVolume("fresh", GiB);
        assertFalse(tryRead(fresh, 512L << 20, direct(CLUSTER)), "mapping page never loaded");
        assertTrue(TestData.isZero(TestData.read(fresh, 512L << 20, CLUSTER)));
        ByteBuffer zeros = direct(CLUSTER);
        assertTrue(tryRead(fresh, 512L << 20, zeros), "page loaded by read(): unwritten reads as zeros");
        assertTrue(TestData.isZero(TestData.bytes(zeros.flip())));

        assertFalse(tryRead(v, GiB - 512, direct(1024)), "past the end");
        assertFalse(tryRead(v, 100, direct(512)), "unaligned");
        assertThrows(InvalidIoException.class, () -> v.read(GiB - 512, direct(1024)));
    }
}
