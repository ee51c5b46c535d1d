package io.depot.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Pool format 2's per-block CRC32C on real files and RocksDB: a byte changed in the data file behind
 * the pool's back (found by its content, changed with a plain positional write) is never returned as
 * data, whichever path reads it; the read names the volume (and snapshot) and the first damaged byte
 * of the request; the damage is recorded once, kept across a restart and cleared by exactly the
 * operations that make it harmless.
 */
class ChecksumTest extends PoolFixture {
    private static final int CLUSTER = 65536;
    private static final int BLOCK = 4096;
    private static final long SIZE = 16 * MiB;
    /** The damaged block of most tests: block 3 of cluster 5. */
    private static final long L = 5L * CLUSTER + 3 * BLOCK;

    /** A volume written whole with {@code seed} in 1 MiB writes, flushed. */
    private Volume filled(String name, long seed) {
        Volume v = pool().createVolume(name, SIZE);
        for (long at = 0; at < SIZE; at += MiB) {
            write(v, at, seed, (int) MiB);
        }
        v.flush();
        return v;
    }

    private Path data() { return DataFileBlocks.dataFile(pool); }

    /** Flips one byte (at {@code +100}) of the block written with {@code seed} at {@code offset}; returns its data file offset. */
    private long damage(long seed, long offset) {
        long phys = DataFileBlocks.find(pool, seed, offset);
        DataFileBlocks.flip(data(), phys + 100, 0x5a);
        return phys;
    }

    static DataCorruptionException assertDamaged(String volume, String snapshot, long offset, Executable read) {
        DataCorruptionException e = assertThrows(DataCorruptionException.class, read);
        assertEquals(volume, e.volume(), e.getMessage());
        assertEquals(snapshot, e.snapshot(), e.getMessage());
        assertEquals(offset, e.offset(), e.getMessage());
        return e;
    }

    private static void assertOnlyDamage(Pool pool, long phys, String volume, String snapshot, long offset) {
        List<DamagedBlock> d = pool.integrity().damage();
        assertEquals(1, d.size(), d.toString());
        DamagedBlock b = d.get(0);
        assertEquals(phys, b.physicalOffset());
        assertEquals(volume, b.volume());
        assertEquals(pool.volume(volume).uuid(), b.volumeUuid());
        assertEquals(snapshot, b.snapshot());
        assertEquals(offset, b.offset());
        assertEquals("read", b.foundBy());
        assertTrue(pool.integrity().degraded());
    }

    @Test
    void aDamagedHeadBlockFailsEveryReadThatTouchesItAtTheFirstBadByteOfTheRequest() {
        Volume v = filled("v", 1);
        long phys = damage(1, L);
        long[][] reads = {
            // offset, length, first damaged byte of the request
            {L, 512, L}, {L + 1024, 512, L + 1024}, {L + 3584, 512, L + 3584}, {L - 512, 1024, L},
            {L, BLOCK, L}, {L - 2048, BLOCK, L}, {L + 2048, BLOCK, L + 2048},
            {4L * CLUSTER, 2 * CLUSTER, L}, {5L * CLUSTER, CLUSTER, L}, {L - 3 * CLUSTER, 4 * CLUSTER, L},
            {0, MiB, L}, {L - 7 * 512, MiB, L}, {L + 512, MiB, L + 512}, {0, SIZE, L},
        };
        for (long[] r : reads) {
            assertDamaged("v", null, r[2], () -> v.read(r[0], ByteBuffer.allocate((int) r[1])));
            assertDamaged("v", null, r[2], () -> v.read(r[0], ByteBuffer.allocateDirect((int) r[1])));
        }
        // everything around it still reads, up to the block's edges
        assertArrayEquals(expected(1, 0, (int) L), TestData.read(v, 0, (int) L));
        assertArrayEquals(expected(1, L + BLOCK, (int) (SIZE - L - BLOCK)), TestData.read(v, L + BLOCK, (int) (SIZE - L - BLOCK)));
        assertArrayEquals(expected(1, L - 512, 512), TestData.read(v, L - 512, 512));
        assertArrayEquals(expected(1, L + BLOCK, 512), TestData.read(v, L + BLOCK, 512));

        assertOnlyDamage(pool, phys, "v", null, L);
        assertEquals(2L * reads.length, pool.integrity().detections(), "every failed read counted");
    }

    @Test
    void aFullBlockOverwriteClearsTheDamageAndAPartialWriteIntoItIsRefusedUntouched() {
        Volume v = filled("v", 1);
        long phys = damage(1, L);
        assertDamaged("v", null, L, () -> v.read(L, ByteBuffer.allocate(BLOCK)));
        byte[] damaged = DataFileBlocks.read(data(), phys, BLOCK);

        // a 512-byte write would keep 3.5 KiB of damaged bytes under a fresh CRC: refused, block untouched
        assertDamaged("v", null, L, () -> write(v, L + 512, 2, 512));
        v.flush();
        assertArrayEquals(damaged, DataFileBlocks.read(data(), phys, BLOCK), "the refused write changed nothing");
        assertOnlyDamage(pool, phys, "v", null, L);
        assertDamaged("v", null, L + 512, () -> v.read(L + 512, ByteBuffer.allocate(512)));

        write(v, L, 3, BLOCK);
        assertFalse(pool.integrity().degraded(), "overwritten whole: " + pool.integrity().damage());
        assertArrayEquals(expected(3, L, BLOCK), TestData.read(v, L, BLOCK));
        assertArrayEquals(expected(1, L - BLOCK, BLOCK), TestData.read(v, L - BLOCK, BLOCK));
        assertArrayEquals(expected(1, L + BLOCK, BLOCK), TestData.read(v, L + BLOCK, BLOCK));
        // and then a partial write into the repaired block is an ordinary one
        write(v, L + 512, 4, 512);
        v.flush();
        Volume after = reopen().volume("v");
        assertEquals(List.of(), pool.integrity().damage());
        byte[] want = expected(3, L, BLOCK);
        System.arraycopy(expected(4, L + 512, 512), 0, want, 512, 512);
        assertArrayEquals(want, TestData.read(after, L, BLOCK));
    }

    @Test
    void unmappingTheDamagedRangeClearsItAndItReadsAsZeros() {
        Volume v = filled("v", 1);
        long wholeCluster = 9L * CLUSTER + 5 * BLOCK;
        damage(1, L);
        damage(1, wholeCluster);
        assertDamaged("v", null, L, () -> v.read(L, ByteBuffer.allocate(BLOCK)));
        assertDamaged("v", null, wholeCluster, () -> v.read(wholeCluster, ByteBuffer.allocate(BLOCK)));
        assertEquals(2, pool.integrity().damage().size());

        v.unmap(L, BLOCK);                         // just the block
        v.unmap(9L * CLUSTER, CLUSTER);            // its whole cluster
        v.flush();
        assertEquals(List.of(), pool.integrity().damage());
        assertTrue(TestData.isZero(TestData.read(v, L, BLOCK)));
        assertTrue(TestData.isZero(TestData.read(v, 9L * CLUSTER, CLUSTER)));
        assertArrayEquals(expected(1, L - BLOCK, BLOCK), TestData.read(v, L - BLOCK, BLOCK));
        assertArrayEquals(expected(1, L + BLOCK, BLOCK), TestData.read(v, L + BLOCK, BLOCK));
        reopen();
        assertEquals(List.of(), pool.integrity().damage());
    }

    @Test
    void deletingTheVolumeClearsItsDamage() throws Exception {
        Volume v = filled("v", 1);
        Volume w = filled("w", 2);
        damage(1, L);
        assertDamaged("v", null, L, () -> v.read(0, ByteBuffer.allocate((int) MiB)));
        assertTrue(pool.integrity().degraded());
        v.delete();
        assertTrue(pool.awaitReclaim(Duration.ofSeconds(30)), "reclaimed");
        pool.flush();
        assertEquals(List.of(), pool.integrity().damage());
        assertArrayEquals(expected(2, 0, (int) SIZE), TestData.read(w, 0, (int) SIZE));
        reopen();
        assertEquals(List.of(), pool.integrity().damage());
    }

    @Test
    void theDamageIsKeptAcrossAReopenAndStillRefused() {
        Volume v = filled("v", 1);
        long phys = damage(1, L);
        assertDamaged("v", null, L, () -> v.read(L, ByteBuffer.allocate(512)));
        assertDamaged("v", null, L, () -> v.read(L, ByteBuffer.allocate(512)));
        assertOnlyDamage(pool, phys, "v", null, L);
        assertEquals(2, pool.integrity().detections(), "each read that hit it counts");

        Volume after = reopen().volume("v");
        assertOnlyDamage(pool, phys, "v", null, L);
        assertEquals(0, pool.integrity().detections(), "counted since the pool opened");
        assertDamaged("v", null, L, () -> after.read(0, ByteBuffer.allocate((int) MiB)));
        assertOnlyDamage(pool, phys, "v", null, L);
        assertEquals(1, pool.integrity().detections());
    }

    @Test
    void aDamagedSnapshotBlockNamesTheSnapshotAndGoesWithIt() throws Exception {
        Volume v = filled("v", 1);
        Snapshot s = v.createSnapshot("s1");
        for (long at = 0; at < SIZE; at += MiB) {
            write(v, at, 2, (int) MiB);   // whole clusters: the snapshot's blocks stay its own
        }
        v.flush();
        long phys = damage(1, L);
        assertDamaged("v", "s1", L, () -> s.read(L - 512, ByteBuffer.allocate(BLOCK)));
        assertDamaged("v", "s1", L + 512, () -> s.read(L + 512, ByteBuffer.allocate(512)));
        assertDamaged("v", "s1", L, () -> s.read(0, ByteBuffer.allocate((int) MiB)));
        assertDamaged("v", "s1", L, () -> s.plan(L - CLUSTER, 2 * CLUSTER).close());
        assertArrayEquals(expected(2, 0, (int) SIZE), TestData.read(v, 0, (int) SIZE), "the head is another copy");
        assertArrayEquals(expected(1, L + BLOCK, CLUSTER), TestData.read(s, L + BLOCK, CLUSTER));
        assertOnlyDamage(pool, phys, "v", "s1", L);

        Volume after = reopen().volume("v");
        assertDamaged("v", "s1", L, () -> after.snapshot("s1").read(L, ByteBuffer.allocate(BLOCK)));
        after.snapshot("s1").delete();
        pool.flush();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (pool.integrity().degraded() && System.nanoTime() < deadline) {
            pool.flush();
            Thread.onSpinWait();
        }
        assertEquals(List.of(), pool.integrity().damage(), "freed with the snapshot");
    }

    @Test
    void copyOnWriteNeverCarriesDamageIntoTheNewCluster() {
        Volume v = filled("v", 1);
        Snapshot s = v.createSnapshot("s");
        long phys = damage(1, L);
        // a partial first write to another block of the shared cluster copies nothing (sub-cluster
        // copy-on-write): only its block goes to the new cluster, the damaged one stays the snapshot's
        write(v, L + 2 * BLOCK, 2, 512);
        assertDamaged("v", null, L, () -> v.read(5L * CLUSTER, ByteBuffer.allocate(CLUSTER)));
        assertDamaged("v", "s", L, () -> s.read(5L * CLUSTER, ByteBuffer.allocate(CLUSTER)));
        // a first write that covers the damaged block whole leaves nothing of it to copy
        write(v, L, 3, BLOCK);
        byte[] want = expected(1, 5L * CLUSTER, CLUSTER);
        System.arraycopy(expected(3, L, BLOCK), 0, want, 3 * BLOCK, BLOCK);
        System.arraycopy(expected(2, L + 2 * BLOCK, 512), 0, want, 5 * BLOCK, 512);
        assertArrayEquals(want, TestData.read(v, 5L * CLUSTER, CLUSTER));
        assertDamaged("v", "s", L, () -> s.read(L, ByteBuffer.allocate(BLOCK)));
        assertEquals(phys, pool.integrity().damage().get(0).physicalOffset(), "the snapshot's block is still damaged");
        assertEquals(1, pool.integrity().damage().size());
    }

    @Test
    void aLinkedCloneReadingThroughItsOriginReportsTheOriginSnapshotsBlock() {
        Volume v = filled("v", 1);
        Snapshot s = v.createSnapshot("s");
        Volume c = s.linkedClone("c");
        write(c, 0, 2, CLUSTER);   // the clone's own first cluster
        long phys = damage(1, L);
        // the damaged block is the origin snapshot's: named as such, at the same offset
        assertDamaged("v", "s", L, () -> c.read(L, ByteBuffer.allocate(512)));
        assertDamaged("v", "s", L, () -> c.read(0, ByteBuffer.allocate((int) MiB)));
        assertDamaged("v", "s", L, () -> c.plan(L - BLOCK, 2 * BLOCK).close());
        assertDamaged("v", null, L, () -> v.read(L, ByteBuffer.allocate(512)));
        assertArrayEquals(expected(2, 0, CLUSTER), TestData.read(c, 0, CLUSTER));
        assertArrayEquals(expected(1, CLUSTER, (int) (L - CLUSTER)), TestData.read(c, CLUSTER, (int) (L - CLUSTER)));
        assertEquals(phys, pool.integrity().damage().get(0).physicalOffset());
        assertEquals(1, pool.integrity().damage().size(), "one block, seen through three names");
        // a partial first write of the clone's cluster would copy the damaged block: refused
        assertThrows(DataCorruptionException.class, () -> write(c, 5L * CLUSTER, 3, 512));
    }

    @Test
    void aLinkedCloneMayOverwriteADamagedOriginBlockWhole() {
        Volume v = filled("v", 1);
        Snapshot s = v.createSnapshot("s");
        Volume c = s.linkedClone("c");
        damage(1, L);
        assertDamaged("v", "s", L, () -> c.read(L, ByteBuffer.allocate(BLOCK)));
        // the write covers the damaged block whole: nothing damaged would be kept (as for the head's copy-on-write)
        write(c, L, 3, BLOCK);
        byte[] want = expected(1, 5L * CLUSTER, CLUSTER);
        System.arraycopy(expected(3, L, BLOCK), 0, want, 3 * BLOCK, BLOCK);
        assertArrayEquals(want, TestData.read(c, 5L * CLUSTER, CLUSTER));
    }

    @Test
    void aFullClonesFlattenRefusesToCopyDamageAndTheCloneStaysLinked() throws Exception {
        Volume v = filled("v", 1);
        Snapshot s = v.createSnapshot("s");
        damage(1, L);
        Volume c = s.fullClone("c");
        FlattenJob job = c.flattenJob();
        assertNotNull(job);
        assertTrue(job.await(60, TimeUnit.SECONDS), "flatten ended");
        assertInstanceOf(DataCorruptionException.class, job.error(), String.valueOf(job.error()));
        assertTrue(c.isLinkedClone(), "still reads through its origin");
        assertArrayEquals(expected(1, 0, (int) L), TestData.read(c, 0, (int) L));
        assertArrayEquals(expected(1, L + BLOCK, (int) (SIZE - L - BLOCK)), TestData.read(c, L + BLOCK, (int) (SIZE - L - BLOCK)));
        assertDamaged("v", "s", L, () -> c.read(L, ByteBuffer.allocate(BLOCK)));
        assertEquals(1, pool.integrity().damage().size());
    }

    @Test
    void readPlansAndNonBlockingReadsRefuseDamage() {
        Volume v = filled("v", 1);
        assertArrayEquals(expected(1, L, BLOCK), TestData.read(v, L, BLOCK));   // cached pages and mappings
        damage(1, L);
        assertDamaged("v", null, L, () -> v.plan(L - 512, 2 * BLOCK).close());
        assertDamaged("v", null, L + 1024, () -> v.plan(L + 1024, 512).close());
        assertDamaged("v", null, L, () -> v.plan(0, (int) MiB).close());
        assertDamaged("v", null, L, () -> {
            ReadPlan p = v.tryPlan(L - BLOCK, 2 * BLOCK);
            if (p != null) {
                p.close();
            }
        });
        assertDamaged("v", null, L, () -> v.tryRead(L - BLOCK, ByteBuffer.allocateDirect(2 * BLOCK)));
        assertDamaged("v", null, L + 512, () -> v.tryRead(L + 512, ByteBuffer.allocateDirect(512)));
        ByteBuffer good = ByteBuffer.allocateDirect(BLOCK);
        assertTrue(v.tryRead(L + BLOCK, good));
        assertArrayEquals(expected(1, L + BLOCK, BLOCK), TestData.bytes(good.flip()));
        try (ReadPlan p = v.plan(L + BLOCK, CLUSTER)) {
            assertNotNull(p);
        }
        assertEquals(1, pool.integrity().damage().size());
    }

    @Test
    void unwrittenAndUnmappedRangesReadAsZerosAndCheckNothing() {
        Volume v = pool().createVolume("v", SIZE);
        write(v, 0, 1, 4 * CLUSTER);
        write(v, 12L * CLUSTER + 512, 2, 512);   // a partial first write into a clean cluster
        v.flush();
        long freed = DataFileBlocks.find(pool, 1, 2L * CLUSTER);
        v.unmap(2L * CLUSTER, CLUSTER);
        v.flush();
        // the freed cluster's old bytes are still in the file: damage them, nothing reads them
        DataFileBlocks.flip(data(), freed + 7, 0xff);
        assertTrue(TestData.isZero(TestData.read(v, 2L * CLUSTER, CLUSTER)));
        assertTrue(TestData.isZero(TestData.read(v, 4L * CLUSTER, 8 * CLUSTER)), "never written");
        assertTrue(TestData.isZero(TestData.read(v, SIZE - MiB, (int) MiB)), "never written");
        byte[] edge = TestData.read(v, 12L * CLUSTER, BLOCK);
        byte[] want = new byte[BLOCK];
        System.arraycopy(expected(2, 12L * CLUSTER + 512, 512), 0, want, 512, 512);
        assertArrayEquals(want, edge, "a clean cluster's unwritten bytes are checked zeros");
        assertArrayEquals(expected(2, 12L * CLUSTER + 512, 512), TestData.read(v, 12L * CLUSTER + 512, 512));
        assertArrayEquals(expected(1, 0, 2 * CLUSTER), TestData.read(v, 0, 2 * CLUSTER));
        assertEquals(0, pool.integrity().detections());
        assertFalse(pool.integrity().degraded());
        reopen();
        assertTrue(TestData.isZero(TestData.read(pool.volume("v"), 2L * CLUSTER, CLUSTER)));
        assertEquals(0, pool.integrity().detections());
    }

    /**
     * A multi-cluster write whose last, partial cluster holds a damaged block is refused; the
     * clusters before it that it overwrites in place must still read back (old or new bytes), not
     * turn into reported damage because their CRCs were updated for bytes never written. At 64 KiB
     * clusters each in-place cluster is its own call; at 4 and 16 KiB one call carries several.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {4096, 16384, 65536})
    void aMultiClusterWriteRefusedForDamageLeavesItsOtherClustersReadable(int clusterSize) {
        pool(PoolOptions.ofCapacity(256 * MiB).withClusterSize(clusterSize));
        Volume v = filled("v", 1);
        long bad = 2L * clusterSize;                 // block 0 of cluster 2
        damage(1, bad);
        // clusters 0 and 1 whole (in place), then 1 KiB into the damaged block of cluster 2
        assertDamaged("v", null, bad, () -> write(v, 0, 2, (int) bad + 1024));
        byte[] got = assertDoesNotThrow(() -> TestData.read(v, 0, (int) bad), "clusters 0-1 after the refused write");
        assertTrue(TestData.equal(expected(1, 0, (int) bad), got) || TestData.equal(expected(2, 0, (int) bad), got),
                "clusters 0-1 hold their old or their new bytes");
        assertEquals(1, pool.integrity().damage().size(), pool.integrity().damage().toString());
        // and so after the CRCs are settled and the pool reopened
        v.flush();
        Volume after = reopen().volume("v");
        byte[] again = assertDoesNotThrow(() -> TestData.read(after, 0, (int) bad), "clusters 0-1 after reopen");
        assertArrayEquals(got, again);
    }
}
