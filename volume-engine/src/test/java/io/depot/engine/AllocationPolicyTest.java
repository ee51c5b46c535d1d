package io.depot.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Writes that fill their new clusters reuse freed (dirty) space before growing the data file; writes
 * that fill only part of a new cluster take clean space, and never show a freed cluster's old bytes.
 */
class AllocationPolicyTest extends PoolFixture {
    private static final int CL = 65536;

    @Test
    void wholeClusterWritesReuseFreedSpaceBeforeGrowingTheFile() throws Exception {
        leaveFreedClusters();
        long fileSize = Files.size(dataFile());

        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 2, 16 * CL);                  // one request of whole clusters
        write(v, 16 * CL, 3, CL);                 // a single whole cluster
        v.flush();
        assertEquals(fileSize, Files.size(dataFile()), "whole-cluster writes landed in freed space");
        assertArrayEquals(expected(2, 0, 16 * CL), read(v, 0, 16 * CL));
        assertArrayEquals(expected(3, 16 * CL, CL), read(v, 16 * CL, CL));

        Snapshot s = v.createSnapshot("s");
        write(v, 0, 4, 8 * CL);                   // copy-on-write of whole clusters: no copy, freed space again
        v.flush();
        assertEquals(fileSize, Files.size(dataFile()), "a whole-cluster copy-on-write also reuses freed space");
        assertArrayEquals(expected(2, 0, 16 * CL), read(s, 0, 16 * CL));
        assertArrayEquals(expected(4, 0, 8 * CL), read(v, 0, 8 * CL));
    }

    @Test
    void wholeClusterWritesLeaveFreedHoleyClustersToPartialWrites() throws Exception {
        Volume old = pool().createVolume("old", GiB);
        for (int i = 0; i < 8; i++) {
            write(old, (long) i * CL, 1, 4096);   // 4 KiB of each cluster allocated in the file, the rest a hole
        }
        old.flush();
        old.delete();
        assertTrue(pool().awaitReclaim(Duration.ofSeconds(30)));
        assertEquals(7L * CL + 4096, Files.size(dataFile()));

        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 2, 16 * CL);
        v.flush();
        assertEquals(24L * CL, Files.size(dataFile()), "whole clusters went to fresh space, not into the freed holes");
        assertArrayEquals(expected(2, 0, 16 * CL), read(v, 0, 16 * CL));
    }

    @Test
    void partialWritesNeverShowFreedBytesWhereverTheyLand() throws Exception {
        leaveFreedClusters();

        Volume v = pool().createVolume("v", GiB);
        write(v, 4096, 5, 3 * CL);                // partial first and last clusters, whole ones between
        write(v, 8 * CL + 512, 6, 4096);          // a lone partial write
        v.flush();
        byte[] got = read(v, 0, 4 * CL);
        byte[] want = new byte[4 * CL];
        System.arraycopy(expected(5, 4096, 3 * CL), 0, want, 4096, 3 * CL);
        assertArrayEquals(want, got, "zeros around a request whose edges are partial");
        byte[] lone = new byte[CL];
        System.arraycopy(expected(6, 8 * CL + 512, 4096), 0, lone, 512, 4096);
        assertArrayEquals(lone, read(v, 8 * CL, CL), "zeros around a lone partial write");
    }

    private java.nio.file.Path dataFile() {
        return dir.resolve("pool").resolve("data");
    }

    private static byte[] read(Volume v, long offset, int length) {
        ByteBuffer dst = ByteBuffer.allocate(length);
        v.read(offset, dst);
        return dst.array();
    }

    private static byte[] read(Snapshot s, long offset, int length) {
        ByteBuffer dst = ByteBuffer.allocate(length);
        s.read(offset, dst);
        return dst.array();
    }

    /** Writes 32 clusters to a volume and deletes it, waiting until reclaim has freed them: holes to reuse. */
    private void leaveFreedClusters() throws Exception {
        Volume old = pool().createVolume("old", GiB);
        write(old, 0, 1, 32 * CL);
        old.flush();
        old.delete();
        assertTrue(pool().awaitReclaim(Duration.ofSeconds(30)));
    }
}
