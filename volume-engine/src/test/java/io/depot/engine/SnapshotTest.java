package io.depot.engine;

import static io.depot.engine.TestData.read;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class SnapshotTest extends PoolFixture {

    @Test
    void snapshotFreezesContentsWhileHeadMovesOn() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 1, 2 * 65536);
        Snapshot s1 = v.createSnapshot("s1");
        write(v, 4096, 2, 4096);          // copy-on-write of cluster 0
        v.unmap(65536, 65536);            // cluster 1 gone from the head only
        write(v, 5 * 65536, 3, 65536);    // new cluster after the snapshot
        assertArrayEquals(expected(1, 0, 2 * 65536), read(s1, 0, 2 * 65536));
        assertTrue(TestData.isZero(read(s1, 5 * 65536, 65536)));
        byte[] head = read(v, 0, 65536);
        assertArrayEquals(expected(2, 4096, 4096), java.util.Arrays.copyOfRange(head, 4096, 8192));
        assertArrayEquals(java.util.Arrays.copyOfRange(expected(1, 0, 65536), 0, 4096), java.util.Arrays.copyOfRange(head, 0, 4096));
        assertTrue(TestData.isZero(read(v, 65536, 65536)));
        reopen();
        Volume r = pool.volume("v");
        assertArrayEquals(expected(1, 0, 2 * 65536), read(r.snapshot("s1"), 0, 2 * 65536));
        assertTrue(TestData.isZero(read(r, 65536, 65536)));
    }

    @Test
    void snapshotsAreReadOnly() {
        Volume v = pool().createVolume("v", GiB);
        Snapshot s = v.createSnapshot("s");
        assertThrows(ReadOnlyException.class, () -> s.write(0, ByteBuffer.allocate(512)));
    }

    @Test
    void thousandSnapshotsEachSeeItsOwnVersion() {
        Volume v = pool().createVolume("v", GiB);
        for (int i = 0; i < 1000; i++) {
            write(v, 0, i, 512);
            v.createSnapshot("s" + i);
        }
        assertEquals(1000, v.snapshots().size());
        for (int i = 0; i < 1000; i += 37) {
            assertArrayEquals(expected(i, 0, 512), read(v.snapshot("s" + i), 0, 512), "snapshot s" + i);
        }
        reopen();
        Volume r = pool.volume("v");
        assertEquals(1000, r.snapshots().size());
        assertArrayEquals(expected(999, 0, 512), read(r.snapshot("s999"), 0, 512));
        assertArrayEquals(expected(0, 0, 512), read(r.snapshot("s0"), 0, 512));
    }

    @Test
    void snapshotCostDoesNotDependOnSize() {
        Volume big = pool().createVolume("big", 64L << 40);
        for (long off = 0; off < (64L << 40); off += (1L << 40)) {
            write(big, off, off, 65536);
        }
        long start = System.nanoTime();
        Snapshot s = big.createSnapshot("s");
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        // a snapshot is a record and an epoch bump: no per-cluster work (timing lives in the benchmark; this is a sanity bound)
        assertTrue(elapsedMs < 2000, "snapshot took " + elapsedMs + " ms");
        assertEquals(0, s.uniqueBytes());
        assertArrayEquals(expected(1L << 40, 1L << 40, 65536), read(s, 1L << 40, 65536));
    }

    @Test
    void deleteFreesExactlyWhatOnlyThatSnapshotHeld() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 1, 4 * 65536);                 // A: clusters 0-3
        Snapshot s1 = v.createSnapshot("s1");
        write(v, 0, 2, 65536);                     // cluster 0 rewritten: s1 alone holds version 1
        Snapshot s2 = v.createSnapshot("s2");
        write(v, 0, 3, 65536);                     // s2 alone holds version 2
        write(v, 65536, 3, 65536);                 // cluster 1: version 1 now held by s1 and s2
        pool.flush();
        assertEquals(65536, s1.uniqueBytes());
        assertEquals(65536, s2.uniqueBytes());
        long before = pool.usage().usedBytes();
        assertEquals(65536, s2.delete());
        pool.flush();
        assertEquals(before - 65536, pool.usage().usedBytes());
        // s1 now alone holds the old clusters 0 and 1
        assertEquals(2 * 65536, s1.uniqueBytes());
        assertArrayEquals(expected(1, 0, 4 * 65536), read(s1, 0, 4 * 65536));
        assertEquals(2 * 65536, s1.delete());
        assertArrayEquals(expected(3, 0, 65536), read(v, 0, 65536));
        assertArrayEquals(expected(3, 65536, 65536), read(v, 65536, 65536));
        assertArrayEquals(expected(1, 2 * 65536, 2 * 65536), read(v, 2 * 65536, 2 * 65536));
        pool.flush();
        assertEquals(4 * 65536, pool.usage().usedBytes());
        assertThrows(NoSuchSnapshotException.class, () -> v.snapshot("s1"));
        assertThrows(NoSuchSnapshotException.class, () -> read(s1, 0, 512));
    }

    @Test
    void deletingMiddleSnapshotKeepsNeighboursIntact() {
        Volume v = pool().createVolume("v", GiB);
        for (int i = 0; i < 5; i++) {
            write(v, 0, i, 2 * 65536);
            v.createSnapshot("s" + i);
        }
        v.snapshot("s2").delete();
        v.snapshot("s0").delete();
        for (int i : new int[] {1, 3, 4}) {
            assertArrayEquals(expected(i, 0, 2 * 65536), read(v.snapshot("s" + i), 0, 2 * 65536), "s" + i);
        }
        reopen();
        assertArrayEquals(expected(3, 0, 2 * 65536), read(pool.volume("v").snapshot("s3"), 0, 2 * 65536));
    }

    @Test
    void rollbackRestoresSnapshotAndFreesNewerData() {
        Volume v = pool().createVolume("v", 8 * MiB);
        write(v, 0, 1, 2 * 65536);
        Snapshot s = v.createSnapshot("s");
        write(v, 0, 2, 65536);
        write(v, 10 * 65536, 2, 65536);
        v.unmap(65536, 65536);
        v.grow(16 * MiB);
        s.rollback(false);
        assertEquals(8 * MiB, v.sizeBytes(), "size comes back too");
        assertArrayEquals(expected(1, 0, 2 * 65536), read(v, 0, 2 * 65536));
        assertTrue(TestData.isZero(read(v, 10 * 65536, 65536)));
        assertEquals(2 * 65536, v.allocatedBytes());
        pool.flush();
        assertEquals(2 * 65536, pool.usage().usedBytes());
        write(v, 0, 3, 512);   // the head shares with s again: copy-on-write
        assertArrayEquals(expected(1, 0, 512), read(s, 0, 512));
    }

    @Test
    void rollbackPastNewerSnapshotsNeedsConsent() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 1, 512);
        Snapshot old = v.createSnapshot("old");
        write(v, 0, 2, 512);
        v.createSnapshot("newer");
        write(v, 0, 3, 512);
        assertThrows(InvalidIoException.class, () -> old.rollback(false));
        assertArrayEquals(expected(3, 0, 512), read(v, 0, 512), "refused rollback changes nothing");
        old.rollback(true);
        assertArrayEquals(expected(1, 0, 512), read(v, 0, 512));
        assertEquals(List.of("old"), v.snapshots().stream().map(Snapshot::name).toList());
    }

    @Test
    void consistencyGroupFreezesSeveralVolumesAtOneInstant() {
        Volume a = pool().createVolume("a", GiB);
        Volume b = pool.createVolume("b", GiB);
        write(a, 0, 1, 4096);
        write(b, 0, 2, 4096);
        List<Snapshot> group = pool.snapshotGroup("g", a, b);
        write(a, 0, 3, 4096);
        write(b, 0, 4, 4096);
        assertEquals(2, group.size());
        assertNotNull(group.get(0).groupId());
        assertEquals(group.get(0).groupId(), group.get(1).groupId());
        assertArrayEquals(expected(1, 0, 4096), read(a.snapshot("g"), 0, 4096));
        assertArrayEquals(expected(2, 0, 4096), read(b.snapshot("g"), 0, 4096));
    }

    @Test
    void snapshotNamesAreUniquePerVolume() {
        Volume v = pool().createVolume("v", GiB);
        v.createSnapshot("s");
        assertThrows(NameInUseException.class, () -> v.createSnapshot("s"));
        pool.createVolume("w", GiB).createSnapshot("s");   // same name on another volume is fine
    }
}
