package io.depot.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.core.Engine;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Snapshot reads are served from cached mapping pages. Every test first reads a snapshot (filling its
 * pages), then changes what snapshots see, then reuses the freed space with other bytes, so a page
 * kept past the change would show stale or foreign data.
 */
class SnapshotPageCacheTest extends PoolFixture {
    private static final int CL = 65536;

    @Test
    void cloneSnapshotReadBeforeFlattenReadsTheCopiesAfterIt() throws Exception {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 1, 4 * CL);
        Volume c = v.createSnapshot("s").linkedClone("c");
        Snapshot cs = c.createSnapshot("cs");
        assertArrayEquals(expected(1, 0, 4 * CL), read(cs, 0, 4 * CL), "through the origin, pages now cached");
        write(c, CL, 2, CL);
        FlattenJob job = c.flatten();
        assertTrue(job.await(30, TimeUnit.SECONDS));
        assertTrue(job.isFinished());
        v.snapshot("s").delete();
        v.delete();
        assertTrue(pool().awaitReclaim(Duration.ofSeconds(30)));
        Volume other = pool().createVolume("other", GiB);
        write(other, 0, 9, 8 * CL);   // lands on the origin's freed clusters
        other.flush();
        assertArrayEquals(expected(1, 0, 4 * CL), read(cs, 0, 4 * CL), "the clone's snapshot keeps the origin's data");
        assertArrayEquals(expected(2, CL, CL), read(c, CL, CL));
    }

    @Test
    void snapshotsSurviveRollbackThatDestroysNewerOnes() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 1, 4 * CL);
        Snapshot a = v.createSnapshot("a");
        write(v, 0, 2, 2 * CL);
        Snapshot b = v.createSnapshot("b");
        write(v, 0, 3, CL);
        assertArrayEquals(expected(1, 0, 4 * CL), read(a, 0, 4 * CL));
        byte[] bView = read(b, 0, 4 * CL);
        a.rollback(true);
        assertThrows(NoSuchSnapshotException.class, () -> read(b, 0, CL));
        write(pool().createVolume("other", GiB), 0, 9, 8 * CL);   // reuses what b and the head held
        assertArrayEquals(expected(1, 0, 4 * CL), read(a, 0, 4 * CL));
        assertArrayEquals(expected(1, 0, 4 * CL), read(v, 0, 4 * CL));
        Snapshot b2 = v.createSnapshot("b");
        write(v, 0, 4, CL);
        assertArrayEquals(expected(1, 0, 4 * CL), read(b2, 0, 4 * CL), "a new snapshot never sees an old one's pages");
        assertTrue(!java.util.Arrays.equals(bView, read(b2, 0, 4 * CL)));
    }

    @Test
    void deletingOneSnapshotLeavesTheOthersExact() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 1, 4 * CL);
        Snapshot a = v.createSnapshot("a");
        write(v, 0, 2, 4 * CL);
        Snapshot b = v.createSnapshot("b");
        write(v, 0, 3, 4 * CL);
        Snapshot c = v.createSnapshot("c");
        write(v, 2 * CL, 4, 2 * CL);
        assertArrayEquals(expected(2, 0, 4 * CL), read(b, 0, 4 * CL));
        assertArrayEquals(expected(3, 0, 4 * CL), read(c, 0, 4 * CL));
        b.delete();
        assertThrows(NoSuchSnapshotException.class, () -> read(b, 0, CL));
        write(pool().createVolume("other", GiB), 0, 9, 8 * CL);   // reuses b's clusters
        assertArrayEquals(expected(1, 0, 4 * CL), read(a, 0, 4 * CL));
        assertArrayEquals(expected(3, 0, 4 * CL), read(c, 0, 4 * CL));
        c.delete();
        a.delete();
        assertArrayEquals(expected(3, 0, 2 * CL), read(v, 0, 2 * CL));
        assertArrayEquals(expected(4, 2 * CL, 2 * CL), read(v, 2 * CL, 2 * CL));
    }

    @Test
    void snapshotReadsStayExactWhenTheirPagesAreEvicted() {
        // the cache floor (64 pages of 1024 clusters) is far less than the 200 pages read here
        Pool p = Pool.create(dir.resolve("pool"), PoolOptions.ofCapacity(2 * GiB).withClusterSize(4096),
                new PoolTuning(1, 1000, true));
        pool = p;
        Volume v = p.createVolume("v", 8 * GiB);
        long stride = 1024L * 4096;   // one cluster per mapping page
        for (int i = 0; i < 200; i++) {
            write(v, i * stride, i, 4096);
        }
        Snapshot s = v.createSnapshot("s");
        for (int i = 0; i < 200; i += 2) {
            write(v, i * stride, 1000 + i, 4096);
        }
        Engine.CacheCounters before = PoolInternals.engine(p).cacheCounters();
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < 200; i++) {
                assertArrayEquals(expected(i, i * stride, 4096), read(s, i * stride, 4096), "cluster " + i + " pass " + pass);
            }
        }
        Engine.CacheCounters d = PoolInternals.engine(p).cacheCounters().minus(before);
        assertTrue(d.pageLoads() >= 400, "both passes load every page again: " + d);
        assertTrue(d.evictions() >= 300, "the clock evicts under the 64-page floor: " + d);
        assertTrue(d.cachedPages() <= 80, "the cache stays near its budget: " + d);
        assertEquals(0, d.storeLookups(), "a live snapshot never reads the store directly");
    }

    @Test
    void sequentialSnapshotReadsSpanRunsHolesAndTheOrigin() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 1, 8 * CL);
        Volume c = v.createSnapshot("s").linkedClone("c");
        write(c, 2 * CL, 2, 3 * CL);         // a run of the clone's own, amid the origin's
        c.unmap(6 * CL, CL);                  // a hole hiding the origin
        Snapshot cs = c.createSnapshot("cs");
        write(c, 0, 3, 8 * CL);
        byte[] want = new byte[8 * CL];
        System.arraycopy(expected(1, 0, 2 * CL), 0, want, 0, 2 * CL);
        System.arraycopy(expected(2, 2 * CL, 3 * CL), 0, want, 2 * CL, 3 * CL);
        System.arraycopy(expected(1, 5 * CL, CL), 0, want, 5 * CL, CL);
        System.arraycopy(expected(1, 7 * CL, CL), 0, want, 7 * CL, CL);
        assertArrayEquals(want, read(cs, 0, 8 * CL));
        assertArrayEquals(java.util.Arrays.copyOfRange(want, CL / 2, 7 * CL + 512), read(cs, CL / 2, 7 * CL - CL / 2 + 512),
                "unaligned start and end inside runs");
    }

    @Test
    void aLiveSnapshotsRepeatedReadsStayInItsPagesAfterOlderSnapshotsComeAndGo() {
        // the bench's "oldest snapshot" sequence, small: 4 KiB clusters, 10 snapshots kept, and rounds
        // that each take a snapshot, overwrite everything (copy on write) and delete the oldest
        Pool p = pool(PoolOptions.ofCapacity(256 * MiB).withClusterSize(4096));
        int size = 16 << 20;   // 4,096 clusters: 4 mapping pages per directory
        Volume v = p.createVolume("v", size);
        write(v, 0, 1, size);
        java.util.ArrayDeque<Snapshot> present = new java.util.ArrayDeque<>();
        for (int i = 0; i < 10; i++) {
            write(v, (long) i * 4096 * 97 % size, 100 + i, 4096);
            present.add(v.createSnapshot("base-" + i));
        }
        for (int round = 0; round < 4; round++) {
            present.add(v.createSnapshot("round-" + round));
            write(v, 0, 200 + round, size);
            present.removeFirst().delete();
        }
        Snapshot oldest = present.peekFirst();
        Engine engine = PoolInternals.engine(p);
        Engine.CacheCounters unread = engine.cacheCounters();
        byte[] first = read(oldest, 0, size);
        Engine.CacheCounters before = engine.cacheCounters();
        assertEquals(4, before.minus(unread).pageLoads(), "the first read fills the snapshot's four pages");
        for (int pass = 0; pass < 3; pass++) {
            for (long off = 0; off < size; off += 4096 * 7) {
                assertArrayEquals(java.util.Arrays.copyOfRange(first, (int) off, (int) off + 4096), read(oldest, off, 4096));
            }
        }
        Engine.CacheCounters d = engine.cacheCounters().minus(before);
        assertEquals(0, d.pageLoads(), "pages loaded again");
        assertEquals(0, d.storeLookups(), "reads that went to the store");
        assertEquals(0, d.evictions(), "pages evicted");
    }

    private static byte[] read(Snapshot s, long offset, int length) {
        ByteBuffer dst = ByteBuffer.allocate(length);
        s.read(offset, dst);
        return dst.array();
    }

    private static byte[] read(Volume v, long offset, int length) {
        ByteBuffer dst = ByteBuffer.allocate(length);
        v.read(offset, dst);
        return dst.array();
    }
}
