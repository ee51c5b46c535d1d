package io.depot.nfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.nfs.fs.VirtualFileSystem.CreateMode;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link MemoryFastPath#tryWrite}, WRITE's event-loop path: an unstable overwrite of a file's own
 * data gives what {@link Datastore#write} would (bytes, size, times, UNSTABLE); an extension, a
 * first write, an unaligned write or one without permission is left to the ordinary write.
 */
class WriteFromMemoryTest {
    private static final Caller ALICE = new Caller(1000, 1000, new int[0]);
    private static final int MiB = 1 << 20;

    @TempDir
    Path tmp;
    private Pool pool;
    private Datastore fs;

    @BeforeEach
    void open() {
        pool = Pool.create(tmp.resolve("pool"), PoolOptions.ofCapacity(1L << 30));
        fs = Datastore.open(pool);
    }

    @AfterEach
    void close() {
        fs.close();
        pool.close();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private byte[] read(long ino, long offset, int count) {
        ReadResult r = fs.read(Caller.ROOT, ino, offset, count);
        byte[] b = new byte[r.data().remaining()];
        r.data().duplicate().get(b);
        return b;
    }

    @Test
    void overwritesInPlaceAsTheOrdinaryWriteWould() {
        Inode f = fs.create(Caller.ROOT, Datastore.ROOT, "disk.img", new SetAttributes(0666, null, null, null, null, null),
                CreateMode.GUARDED, 0).object();
        fs.write(Caller.ROOT, f.ino(), 0, ByteBuffer.wrap(random(4 * MiB, 1)), Stability.FILE_SYNC);
        byte[] next = random(MiB, 2);
        Inode before = fs.getattr(f.ino());
        WriteResult w = fs.fastPath().tryWrite(ALICE, f.ino(), MiB, ByteBuffer.wrap(next));
        assertNotNull(w, "an overwrite in place of the file's own data");
        assertEquals(MiB, w.count());
        assertEquals(Stability.UNSTABLE, w.committed());
        assertEquals(before.size(), w.file().after().size());
        assertTrue(w.file().after().mtime() >= before.mtime());
        assertEquals(w.file().after().mtime(), fs.getattr(f.ino()).mtime(), "the new mtime is what GETATTR sees");
        assertArrayEquals(next, read(f.ino(), MiB, MiB));
        fs.commit(f.ino());
        assertArrayEquals(next, read(f.ino(), MiB, MiB));
    }

    @Test
    void leavesEverythingElseToTheOrdinaryWrite() {
        Inode f = fs.create(Caller.ROOT, Datastore.ROOT, "f", new SetAttributes(0644, null, null, null, null, null),
                CreateMode.GUARDED, 0).object();
        assertNull(fs.fastPath().tryWrite(Caller.ROOT, f.ino(), 0, ByteBuffer.wrap(random(4096, 3))), "never written: no volume");
        fs.write(Caller.ROOT, f.ino(), 0, ByteBuffer.wrap(random(MiB, 4)), Stability.UNSTABLE);
        assertNull(fs.fastPath().tryWrite(Caller.ROOT, f.ino(), MiB - 4096, ByteBuffer.wrap(random(8192, 5))), "extends the file");
        assertNull(fs.fastPath().tryWrite(Caller.ROOT, f.ino(), 100, ByteBuffer.wrap(random(512, 6))), "unaligned");
        assertNull(fs.fastPath().tryWrite(ALICE, f.ino(), 0, ByteBuffer.wrap(random(4096, 7))), "mode 0644: not Alice's to write");
        assertNotNull(fs.fastPath().tryWrite(Caller.ROOT, f.ino(), 0, ByteBuffer.wrap(random(4096, 8))));
    }
}
