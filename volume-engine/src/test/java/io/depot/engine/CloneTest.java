package io.depot.engine;

import static io.depot.engine.TestData.read;
import static org.junit.jupiter.api.Assertions.*;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CloneTest extends PoolFixture {

    @Test
    void linkedCloneSharesUntilWrittenAndIsIsolated() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 1, 4 * 65536);
        Snapshot s = v.createSnapshot("base");
        long used = pool.usage().usedBytes();
        Volume c = s.linkedClone("c");
        assertEquals(used, pool.usage().usedBytes(), "a linked clone costs no data");
        assertArrayEquals(expected(1, 0, 4 * 65536), read(c, 0, 4 * 65536));
        write(c, 4096, 2, 4096);          // copy-on-write from the origin
        write(v, 2 * 65536, 3, 4096);      // the origin's head moves on; the clone must not see it
        byte[] want = expected(1, 0, 4 * 65536);
        System.arraycopy(expected(2, 4096, 4096), 0, want, 4096, 4096);
        assertArrayEquals(want, read(c, 0, 4 * 65536));
        assertArrayEquals(expected(1, 0, 4 * 65536), read(s, 0, 4 * 65536));
        c.unmap(65536 * 3, 65536);          // hides the origin's data in the clone only
        assertTrue(TestData.isZero(read(c, 3 * 65536, 65536)));
        assertArrayEquals(expected(1, 3 * 65536, 65536), read(s, 3 * 65536, 65536));
        assertTrue(c.isLinkedClone());
        reopen();
        Volume rc = pool.volume("c");
        assertArrayEquals(java.util.Arrays.copyOf(want, 3 * 65536), read(rc, 0, 3 * 65536), "clone after restart");
        assertTrue(TestData.isZero(read(rc, 3 * 65536, 65536)));
    }

    @Test
    void snapshotWithClonesCannotBeDeleted() {
        Volume v = pool().createVolume("v", GiB);
        Snapshot s = v.createSnapshot("base");
        Volume c = s.linkedClone("c");
        assertThrows(DependentClonesException.class, s::delete);
        assertThrows(DependentClonesException.class, v::delete);
        c.delete();
        s.delete();
        v.delete();
    }

    @Test
    void fullCloneBecomesIndependentAndThin() throws Exception {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 1, 65536);
        write(v, 100 * 65536, 2, 3 * 65536);
        Snapshot s = v.createSnapshot("base");
        Volume c = s.fullClone("full");
        write(c, 0, 3, 512);   // usable at once, even while the copy runs
        FlattenJob job = c.flattenJob();
        assertNotNull(job, "a full clone's flatten stays visible, running or ended");
        assertTrue(job.await(30, TimeUnit.SECONDS), "flatten finishes");
        assertNull(job.error());
        assertTrue(job.isFinished());
        assertFalse(c.isLinkedClone());
        assertEquals(4 * 65536, c.allocatedBytes(), "only allocated clusters are copied");
        byte[] want = expected(1, 0, 65536);
        System.arraycopy(expected(3, 0, 512), 0, want, 0, 512);
        assertArrayEquals(want, read(c, 0, 65536));
        assertArrayEquals(expected(2, 100 * 65536, 3 * 65536), read(c, 100 * 65536, 3 * 65536));
        assertTrue(TestData.isZero(read(c, 65536, 65536)));
        s.delete();   // the origin snapshot is no longer needed
        v.delete();
        assertArrayEquals(expected(2, 100 * 65536, 3 * 65536), read(c, 100 * 65536, 3 * 65536));
        reopen();
        assertArrayEquals(expected(2, 100 * 65536, 3 * 65536), read(pool.volume("full"), 100 * 65536, 3 * 65536));
    }

    @Test
    void cancelledFlattenLeavesAWorkingLinkedClone() throws Exception {
        Volume v = pool().createVolume("v", GiB);
        for (int i = 0; i < 64; i++) {
            write(v, i * 65536L, i, 65536);
        }
        Volume c = v.createSnapshot("base").linkedClone("c");
        FlattenJob job = c.flatten();
        job.cancel();
        assertTrue(job.await(30, TimeUnit.SECONDS));
        for (int i = 0; i < 64; i += 7) {
            assertArrayEquals(expected(i, i * 65536L, 65536), read(c, i * 65536L, 65536));
        }
        if (!job.isFinished()) {
            assertTrue(c.isLinkedClone());
        }
        FlattenJob again = c.flatten();
        assertTrue(again.await(30, TimeUnit.SECONDS));
        assertTrue(again.isFinished());
        assertEquals(1.0, again.progress());
        assertFalse(c.isLinkedClone());
    }

    @Test
    void cloneOfACloneReadsThroughTheChain() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 1, 2 * 65536);
        Volume c1 = v.createSnapshot("s").linkedClone("c1");
        write(c1, 65536, 2, 65536);
        Volume c2 = c1.createSnapshot("s").linkedClone("c2");
        assertArrayEquals(expected(1, 0, 65536), read(c2, 0, 65536));
        assertArrayEquals(expected(2, 65536, 65536), read(c2, 65536, 65536));
        Snapshot s2 = c2.createSnapshot("x");
        assertEquals(2, s2.changedSince(null).stream().mapToLong(Extent::length).sum() / 65536);
    }

    @Test
    void cloneSnapshotsSurviveFlatten() throws Exception {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 1, 2 * 65536);
        Volume c = v.createSnapshot("s").linkedClone("c");
        Snapshot cs = c.createSnapshot("cs");      // reads through to the origin
        write(c, 0, 2, 65536);                      // head has its own cluster 0
        FlattenJob job = c.flatten();
        assertTrue(job.await(30, TimeUnit.SECONDS));
        assertTrue(job.isFinished());
        v.snapshot("s").delete();
        v.delete();
        assertArrayEquals(expected(1, 0, 2 * 65536), read(cs, 0, 2 * 65536), "clone snapshot keeps origin data");
        assertArrayEquals(expected(2, 0, 65536), read(c, 0, 65536));
        assertArrayEquals(expected(1, 65536, 65536), read(c, 65536, 65536));
    }
}
