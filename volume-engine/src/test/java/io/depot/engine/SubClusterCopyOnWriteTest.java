package io.depot.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sub-cluster copy-on-write: a partial first write after a snapshot writes only the 4 KiB blocks it
 * touches into a fresh cluster and reads the rest from the snapshot's; exact reads of both, exact
 * space, and completion when the snapshot goes.
 */
class SubClusterCopyOnWriteTest {
    private static final int CLUSTER = 64 << 10;
    @TempDir Path dir;

    private static byte[] bytes(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] read(Volume v, long off, int n) {
        ByteBuffer b = ByteBuffer.allocate(n);
        v.read(off, b);
        return b.array();
    }

    private static byte[] read(Snapshot s, long off, int n) {
        ByteBuffer b = ByteBuffer.allocate(n);
        s.read(off, b);
        return b.array();
    }

    @Test
    void aFourKibWriteAfterASnapshotWritesOnlyItsBlockAndTheSnapshotGoesCleanly() throws Exception {
        try (Pool p = Pool.create(dir.resolve("p"), PoolOptions.ofCapacity(64L << 20).withClusterSize(CLUSTER))) {
            Volume v = p.createVolume("v", 16L << 20);
            byte[] old = bytes(1, CLUSTER);
            v.write(0, ByteBuffer.wrap(old), true);
            Snapshot s = v.createSnapshot("s");
            long usedBefore = p.usage().usedBytes();
            long fileBefore = allocatedBytes(p);
            byte[] patch = bytes(2, 4096);
            v.write(8192, ByteBuffer.wrap(patch), true);   // block 2 of cluster 0
            assertEquals(usedBefore + CLUSTER, p.usage().usedBytes(), "one fresh cluster, as before");
            long written = allocatedBytes(p) - fileBefore;
            assertEquals(true, written <= 16 * 1024, "only the 4 KiB block reached the data file, not the cluster: " + written);

            byte[] expected = old.clone();
            System.arraycopy(patch, 0, expected, 8192, 4096);
            assertArrayEquals(expected, read(v, 0, CLUSTER), "the head: the new block, the others through the snapshot's cluster");
            assertArrayEquals(old, read(s, 0, CLUSTER), "the snapshot is untouched");
            // a 512-byte write into a block still read from the snapshot's cluster, and one into its own block
            byte[] small = bytes(3, 512);
            v.write(40960 + 512, ByteBuffer.wrap(small), false);
            System.arraycopy(small, 0, expected, 40960 + 512, 512);
            v.write(8192 + 1024, ByteBuffer.wrap(small), false);
            System.arraycopy(small, 0, expected, 8192 + 1024, 512);
            assertArrayEquals(expected, read(v, 0, CLUSTER));
            assertEquals(List.of(), p.verify());

            assertEquals(CLUSTER, s.uniqueBytes(), "deleting the snapshot frees its cluster");
            s.delete();   // the overlay takes the blocks it still read from the snapshot's cluster
            assertEquals(usedBefore, p.usage().usedBytes(), "the snapshot's cluster is free again");
            assertArrayEquals(expected, read(v, 0, CLUSTER), "the head reads the same after the completion");
            assertEquals(List.of(), p.verify());
        }
        try (Pool p = Pool.open(dir.resolve("p"))) {
            assertEquals(List.of(), p.verify());
        }
    }

    /** Bytes the file system allocated for the data file (sparse: what was actually written). */
    private static long allocatedBytes(Pool p) throws Exception {
        Path data = p.directory().resolve("data");
        p.flush();
        Process stat = new ProcessBuilder("stat", "--format=%b", data.toString()).start();   // 512-byte blocks allocated
        String out = new String(stat.getInputStream().readAllBytes()).trim();
        assertEquals(0, stat.waitFor(), "stat " + data);
        return Long.parseLong(out) * 512;
    }

    @Test
    void randomPartialWritesSnapshotsAndDeletesMatchAModel() {
        for (int cs : new int[] {4096, 16384, CLUSTER}) {
            try (Pool p = Pool.create(dir.resolve("r" + cs), PoolOptions.ofCapacity(64L << 20).withClusterSize(cs))) {
                Volume v = p.createVolume("v", 16L << 20);
                byte[] model = new byte[16 << 20];
                Random r = new Random(cs);
                for (int round = 0; round < 400; round++) {
                    int op = r.nextInt(10);
                    if (op == 0) {
                        v.createSnapshot("s" + round);
                    } else if (op == 1 && !v.snapshots().isEmpty()) {
                        v.snapshots().get(r.nextInt(v.snapshots().size())).delete();
                    } else {
                        long off = (long) r.nextInt((16 << 20) / 512 - 300) * 512;
                        int len = (1 + r.nextInt(r.nextBoolean() ? 8 : 260)) * 512;
                        byte[] d = bytes(round * 31L + cs, len);
                        v.write(off, ByteBuffer.wrap(d), false);
                        System.arraycopy(d, 0, model, (int) off, len);
                    }
                    if (round % 50 == 0) {
                        assertArrayEquals(model, read(v, 0, 16 << 20), "round " + round + " at " + cs + "-byte clusters");
                    }
                }
                assertArrayEquals(model, read(v, 0, 16 << 20));
                assertEquals(List.of(), p.verify());
            }
        }
    }
}
