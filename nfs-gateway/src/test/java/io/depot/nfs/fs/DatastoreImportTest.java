package io.depot.nfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.EngineException;
import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A block volume's snapshot imported as a datastore file: same bytes, independent writes, kept across restarts. */
class DatastoreImportTest {
    @TempDir
    Path tmp;

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] readAll(Datastore fs, long ino) {
        Inode i = fs.getattr(ino);
        ByteBuffer r = fs.read(Caller.ROOT, ino, 0, (int) i.size() + 10).data();
        byte[] b = new byte[r.remaining()];
        r.get(b);
        return b;
    }

    @Test
    void aSnapshotBecomesAFileWithItsBytes() {
        Path dir = tmp.resolve("pool");
        byte[] data = random(3 << 20, 7);
        long ino;
        try (Pool pool = Pool.create(dir, PoolOptions.ofCapacity(1L << 30))) {
            Volume vm = pool.createVolume("vm1", 4 << 20);
            vm.write(0, ByteBuffer.wrap(data));
            Snapshot snap = vm.createSnapshot("gold");
            vm.write(0, ByteBuffer.wrap(random(4096, 8))); // after the snapshot: not in the file
            try (Datastore fs = Datastore.open(pool)) {
                Inode f = fs.importSnapshot(snap, "/depot/disks/vm1.raw", Datastore.CloneMode.LINKED);
                ino = f.ino();
                assertEquals(4 << 20, f.size());
                assertEquals(f.ino(), fs.resolve("/depot/disks/vm1.raw").ino());
                byte[] read = readAll(fs, ino);
                assertArrayEquals(data, java.util.Arrays.copyOf(read, data.length));
                assertArrayEquals(new byte[(4 << 20) - data.length], java.util.Arrays.copyOfRange(read, data.length, 4 << 20));
                assertThrows(FsException.Exists.class, () -> fs.importSnapshot(snap, "/depot/disks/vm1.raw", Datastore.CloneMode.LINKED));
                assertThrows(EngineException.class, snap::delete, "the snapshot is the file's origin");
                // the file is written independently of the snapshot and the volume
                fs.write(Caller.ROOT, ino, 0, ByteBuffer.wrap(new byte[] {1, 2, 3}), Stability.FILE_SYNC);
                ByteBuffer back = ByteBuffer.allocate(512);
                snap.read(0, back);
                assertArrayEquals(java.util.Arrays.copyOf(data, 512), back.array());
                Inode full = fs.importSnapshot(snap, "/depot/full.raw", Datastore.CloneMode.FULL);
                assertEquals(4 << 20, full.size());
            }
        }
        try (Pool pool = Pool.open(dir); Datastore fs = Datastore.open(pool)) {
            byte[] read = readAll(fs, fs.resolve("/depot/disks/vm1.raw").ino());
            assertArrayEquals(new byte[] {1, 2, 3}, java.util.Arrays.copyOf(read, 3));
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 3, data.length), java.util.Arrays.copyOfRange(read, 3, data.length));
            assertTrue(pool.volume(Datastore.volumeName(ino)).isLinkedClone());
        }
    }
}
