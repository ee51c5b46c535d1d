package io.depot.nfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * {@link MemoryFastPath#tryWrite}, WRITE's event-loop path: an unstable overwrite of a file's own
 * data gives what {@link Datastore#write} would (bytes, size, times, UNSTABLE); an extension, a
 * first write, an unaligned write or one without permission is left to the ordinary write.
 */
class WriteFromMemoryTest extends MemoryFastPathFixture {
    private byte[] read(long ino, long offset, int count) {
        ReadResult r = fs.read(Caller.ROOT, ino, offset, count);
        byte[] b = new byte[r.data().remaining()];
        r.data().duplicate().get(b);
        return b;
    }

    @Test
    void overwritesInPlaceAsTheOrdinaryWriteWould() {
        Inode f = fileWith("disk.img", random(4 * MiB, 1), 0666);
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
        Inode f = fileWith("f", new byte[0], 0644);
        assertNull(fs.fastPath().tryWrite(Caller.ROOT, f.ino(), 0, ByteBuffer.wrap(random(4096, 3))), "never written: no volume");
        fs.write(Caller.ROOT, f.ino(), 0, ByteBuffer.wrap(random(MiB, 4)), Stability.UNSTABLE);
        assertNull(fs.fastPath().tryWrite(Caller.ROOT, f.ino(), MiB - 4096, ByteBuffer.wrap(random(8192, 5))), "extends the file");
        assertNull(fs.fastPath().tryWrite(Caller.ROOT, f.ino(), 100, ByteBuffer.wrap(random(512, 6))), "unaligned");
        assertNull(fs.fastPath().tryWrite(ALICE, f.ino(), 0, ByteBuffer.wrap(random(4096, 7))), "mode 0644: not Alice's to write");
        assertNotNull(fs.fastPath().tryWrite(Caller.ROOT, f.ino(), 0, ByteBuffer.wrap(random(4096, 8))));
    }
}
