package io.depot.engine;

import static io.depot.engine.TestData.read;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ThinVolumeTest extends PoolFixture {

    @Test
    void newVolumeUsesNoSpaceAndReadsZeros() {
        Volume v = pool().createVolume("thin", 64L << 40);   // 64 TiB virtual in a 256 MiB pool
        assertEquals(64L << 40, v.sizeBytes());
        assertEquals(0, v.allocatedBytes());
        assertEquals(0, pool.usage().usedBytes());
        assertTrue(TestData.isZero(read(v, 0, 128 * 1024)));
        assertTrue(TestData.isZero(read(v, (64L << 40) - 4096, 4096)));
        assertTrue(pool.usage().overcommitRatio() > 1000);
    }

    @Test
    void writesAtAnyAlignedOffsetReadBackAndNeighboursStayZero() {
        Volume v = pool().createVolume("v", GiB);
        int[] lengths = {512, 4096, 65536, 65536 + 512, 3 * 65536 + 1024, 1 << 20};
        long offset = 0;
        for (int i = 0; i < lengths.length; i++) {
            offset += 7 * 512 + 3L * 65536 * i + 65536 - 1536;
            write(v, offset, i, lengths[i]);
            assertArrayEquals(expected(i, offset, lengths[i]), read(v, offset, lengths[i]), "length " + lengths[i]);
            assertTrue(TestData.isZero(read(v, offset - 512, 512)), "sector before must stay zero");
            assertTrue(TestData.isZero(read(v, offset + lengths[i], 512)), "sector after must stay zero");
        }
    }

    @Test
    void allocatedBytesCountsClustersNotVirtualSize() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 1, 4096);                      // one cluster
        write(v, 10 * 65536 + 512, 2, 65536);      // straddles two clusters
        assertEquals(3 * 65536, v.allocatedBytes());
        assertEquals(3 * 65536, pool.usage().usedBytes());
    }

    @Test
    void overwriteInPlaceKeepsSpaceConstant() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 1, 65536);
        long used = pool.usage().usedBytes();
        for (int i = 2; i < 50; i++) {
            write(v, 4096, i, 8192);
        }
        assertEquals(used, pool.usage().usedBytes());
        assertArrayEquals(expected(49, 4096, 8192), read(v, 4096, 8192));
        assertArrayEquals(expected(1, 0, 4096), read(v, 0, 4096));
    }

    @Test
    void directAndHeapBuffersWork() {
        Volume v = pool().createVolume("v", GiB);
        ByteBuffer src = ByteBuffer.allocateDirect(8192);
        src.put(TestData.pattern(5, 0, 8192)).flip();   // the pattern of offset 0, written elsewhere on purpose
        v.write(65536 - 4096, src);
        assertEquals(0, src.remaining(), "write consumes the buffer");
        ByteBuffer dst = ByteBuffer.allocateDirect(8192);
        v.read(65536 - 4096, dst);
        assertEquals(0, dst.remaining(), "read fills the buffer");
        dst.flip();
        assertEquals(-1, dst.mismatch(TestData.pattern(5, 0, 8192)), "no byte differs");
    }

    @Test
    void unmapReturnsSpaceAndReadsZeros() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 1, 4 * 65536);
        v.unmap(65536, 2 * 65536);
        assertEquals(2 * 65536, v.allocatedBytes());
        assertTrue(TestData.isZero(read(v, 65536, 2 * 65536)));
        assertArrayEquals(expected(1, 0, 65536), read(v, 0, 65536));
        pool.flush();   // frees become reusable once durable
        assertEquals(2 * 65536, pool.usage().usedBytes());
    }

    @Test
    void partialUnmapZeroesOnlyThatRange() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 1, 65536);
        v.unmap(4096, 8192);
        byte[] all = read(v, 0, 65536);
        byte[] want = expected(1, 0, 65536);
        java.util.Arrays.fill(want, 4096, 4096 + 8192, (byte) 0);
        assertArrayEquals(want, all);
        assertEquals(65536, v.allocatedBytes(), "a partly unmapped cluster stays allocated");
    }

    @Test
    void writeZeroesReturnsSpace() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 1, 2 * 65536);
        v.writeZeroes(0, 2 * 65536);
        assertEquals(0, v.allocatedBytes());
        assertTrue(TestData.isZero(read(v, 0, 2 * 65536)));
    }

    @Test
    void freedClusterReusedByAnotherVolumeNeverLeaksOldBytes() {
        // a 4-cluster pool: every allocation after the first four reuses a freed (dirty) cluster
        pool(new PoolOptions(65536, 4 * 65536, null));
        Volume a = pool.createVolume("a", GiB);
        write(a, 0, 1, 4 * 65536);
        a.unmap(0, 4 * 65536);
        pool.flush();
        Volume b = pool.createVolume("b", GiB);
        // small first writes into reused clusters: the rest of each cluster must read as zeros
        for (int i = 0; i < 4; i++) {
            write(b, i * 65536L + 4096, 10 + i, 512);
            byte[] cluster = read(b, i * 65536L, 65536);
            byte[] want = new byte[65536];
            System.arraycopy(expected(10 + i, i * 65536L + 4096, 512), 0, want, 4096, 512);
            assertArrayEquals(want, cluster, "cluster " + i + " must hold only b's bytes and zeros");
        }
    }

    @Test
    void growAndExplicitShrink() {
        Volume v = pool().createVolume("v", 4 * MiB);
        write(v, 3 * MiB, 1, 65536);
        v.grow(8 * MiB);
        assertEquals(8 * MiB, v.sizeBytes());
        assertTrue(TestData.isZero(read(v, 7 * MiB, 65536)));
        assertThrows(InvalidIoException.class, () -> v.grow(2 * MiB), "grow never shrinks");
        v.shrink(3 * MiB + 4096);
        assertEquals(3 * MiB + 4096, v.sizeBytes());
        assertArrayEquals(expected(1, 3 * MiB, 4096), read(v, 3 * MiB, 4096));
        v.grow(4 * MiB);
        assertTrue(TestData.isZero(read(v, 3 * MiB + 4096, 65536 - 4096)), "cut-off data must not come back");
        assertEquals(65536, v.allocatedBytes());
    }

    @Test
    void renameKeepsIdentity() {
        Volume v = pool().createVolume("old", GiB);
        UUID id = v.uuid();
        v.rename("new");
        assertEquals(id, pool.volume("new").uuid());
        assertThrows(NoSuchVolumeException.class, () -> pool.volume("old"));
        reopen();
        assertEquals(id, pool.volume("new").uuid());
        assertEquals("new", pool.volume(id).name());
        // the old name is free again, the new one is taken; a deleted volume is gone by name and by id
        Volume again = pool.createVolume("old", GiB);
        assertThrows(NameInUseException.class, () -> pool.createVolume("new", GiB));
        again.delete();
        assertThrows(NoSuchVolumeException.class, () -> pool.volume(again.uuid()));
        assertThrows(NoSuchVolumeException.class, () -> pool.volume("old"));
        pool.createVolume("old", GiB);
    }

    @Test
    void deleteIsImmediateAndSpaceComesBack() throws Exception {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 1, 32 * 65536);
        v.delete();
        assertThrows(NoSuchVolumeException.class, () -> pool.volume("v"));
        assertThrows(NoSuchVolumeException.class, () -> v.read(0, ByteBuffer.allocate(512)));
        assertTrue(pool.awaitReclaim(java.time.Duration.ofSeconds(30)), "reclaim finishes");
        pool.flush();
        assertEquals(0, pool.usage().usedBytes());
        Volume again = pool.createVolume("v", GiB);
        assertTrue(TestData.isZero(read(again, 0, 65536)));
    }

    @Test
    void compareAndWriteSucceedsOnMatchAndReportsFirstMismatch() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 65536 - 512, 1, 1024);
        ByteBuffer cur = TestData.pattern(1, 65536 - 512, 1024);
        v.compareAndWrite(65536 - 512, cur.duplicate(), TestData.pattern(2, 0, 1024));
        assertArrayEquals(expected(2, 0, 1024), read(v, 65536 - 512, 1024));
        byte[] wrong = expected(2, 0, 1024);
        wrong[700] ^= 1;
        CompareMismatchException e = assertThrows(CompareMismatchException.class,
                () -> v.compareAndWrite(65536 - 512, ByteBuffer.wrap(wrong), TestData.pattern(3, 0, 1024)));
        assertEquals(700, e.mismatchOffset());
        assertArrayEquals(expected(2, 0, 1024), read(v, 65536 - 512, 1024), "nothing written on miscompare");
    }

    @Test
    void everythingSurvivesReopen() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 1, 3 * 65536);
        v.unmap(65536, 65536);
        pool.flush();   // a freed cluster counts as used until its free is durable
        long used = pool.usage().usedBytes();
        reopen();
        Volume r = pool.volume("v");
        assertArrayEquals(expected(1, 0, 65536), read(r, 0, 65536));
        assertTrue(TestData.isZero(read(r, 65536, 65536)));
        assertArrayEquals(expected(1, 2 * 65536, 65536), read(r, 2 * 65536, 65536));
        assertEquals(used, pool.usage().usedBytes());
        assertEquals(2 * 65536, r.allocatedBytes());
    }

    @Test
    void rawBlockDevicePathOrExternalDataFile() {
        // an external data path (a block device in production; a file here) is recorded in the pool descriptor
        java.nio.file.Path data = dir.resolve("external.img");
        pool(PoolOptions.ofCapacity(64 * MiB).withDataPath(data));
        Volume v = pool.createVolume("v", GiB);
        write(v, 0, 1, 65536);
        reopen();
        assertArrayEquals(expected(1, 0, 65536), read(pool.volume("v"), 0, 65536));
        assertTrue(java.nio.file.Files.exists(data));
    }

    @Test
    void largeReadsAcrossContiguousRedirectedAndUnmappedClustersMatchTheModel() {
        Volume v = pool().createVolume("v", GiB);
        int cs = 65536;
        byte[] model = new byte[10 * cs];
        byte[] data = expected(1, 0, 8 * cs);
        v.write(0, java.nio.ByteBuffer.wrap(data.clone()));              // clusters 0-7, physically contiguous
        System.arraycopy(data, 0, model, 0, data.length);
        v.createSnapshot("s");
        byte[] patch = expected(2, 3L * cs + 4096, 8192);
        v.write(3L * cs + 4096, java.nio.ByteBuffer.wrap(patch.clone()));  // cluster 3 moves elsewhere (copy-on-write)
        System.arraycopy(patch, 0, model, 3 * cs + 4096, patch.length);
        v.unmap(5L * cs, cs);                                              // cluster 5 becomes a hole
        java.util.Arrays.fill(model, 5 * cs, 6 * cs, (byte) 0);
        for (int[] range : new int[][] {{0, 10 * cs}, {512, 10 * cs - 1024}, {2 * cs + 512, 2 * cs}, {6 * cs - 512, cs + 1024}}) {
            byte[] got = read(v, range[0], range[1]);
            assertArrayEquals(java.util.Arrays.copyOfRange(model, range[0], range[0] + range[1]), got,
                    "read at " + range[0] + " length " + range[1]);
        }
        Volume clone = v.snapshot("s").linkedClone("c");                   // reads through the origin in the middle
        write(clone, 2L * cs, 3, cs);
        byte[] want = java.util.Arrays.copyOf(data, 8 * cs);
        System.arraycopy(expected(3, 2L * cs, cs), 0, want, 2 * cs, cs);
        assertArrayEquals(want, read(clone, 0, 8 * cs));
    }
}
