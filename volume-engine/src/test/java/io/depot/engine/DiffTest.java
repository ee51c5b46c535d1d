package io.depot.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class DiffTest extends PoolFixture {

    @Test
    void fullDiffListsDataExtentsOnly() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 1, 2 * 65536);
        write(v, 10 * 65536, 1, 65536);
        Snapshot s = v.createSnapshot("s");
        assertEquals(List.of(new Extent(0, 2 * 65536, true), new Extent(10 * 65536, 65536, true)), s.changedSince(null));
    }

    @Test
    void incrementalDiffListsChangedAndUnmappedExtents() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 1, 4 * 65536);
        Snapshot s1 = v.createSnapshot("s1");
        write(v, 65536 + 512, 2, 512);     // cluster 1 changed
        v.unmap(3 * 65536, 65536);          // cluster 3 now zero
        write(v, 20 * 65536, 2, 65536);     // cluster 20 new
        Snapshot s2 = v.createSnapshot("s2");
        write(v, 0, 3, 512);                // after s2: not part of the diff
        assertEquals(List.of(new Extent(65536, 65536, true), new Extent(3 * 65536, 65536, false),
                new Extent(20 * 65536, 65536, true)), s2.changedSince(s1));
        Snapshot s3 = v.createSnapshot("s3");
        Snapshot s4 = v.createSnapshot("s4");
        assertEquals(List.of(), s4.changedSince(s3), "nothing written between s3 and s4");
    }

    @Test
    void applyingDiffsReconstructsEachSnapshot() {
        Volume v = pool().createVolume("v", 4 * MiB);
        java.util.Random rnd = new java.util.Random(42);
        Snapshot previous = null;
        byte[] replica = new byte[(int) (4 * MiB)];
        for (int round = 0; round < 6; round++) {
            for (int i = 0; i < 20; i++) {
                long off = rnd.nextInt(8192) * 512L;
                int len = Math.min((1 + rnd.nextInt(64)) * 512, (int) (4 * MiB - off));
                if (rnd.nextInt(5) == 0) {
                    v.unmap(off, len);
                } else {
                    write(v, off, round * 100 + i, len);
                }
            }
            Snapshot s = v.createSnapshot("r" + round);
            for (Extent e : s.changedSince(previous)) {
                byte[] data = e.data() ? TestData.read(s, e.offset(), (int) e.length()) : new byte[(int) e.length()];
                System.arraycopy(data, 0, replica, (int) e.offset(), (int) e.length());
            }
            assertArrayEquals(TestData.read(s, 0, replica.length), replica, "replica after round " + round);
            previous = s;
        }
    }

    @Test
    void diffNeedsAnOlderSnapshotOfTheSameVolume() {
        Volume v = pool().createVolume("v", GiB);
        Snapshot a = v.createSnapshot("a");
        Snapshot b = v.createSnapshot("b");
        Snapshot other = pool.createVolume("w", GiB).createSnapshot("x");
        assertThrows(InvalidIoException.class, () -> a.changedSince(b));
        assertThrows(InvalidIoException.class, () -> b.changedSince(other));
    }
}
