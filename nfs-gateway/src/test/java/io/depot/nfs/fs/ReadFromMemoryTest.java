package io.depot.nfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link MemoryFastPath#readFromMemory}, READ's event-loop path: when it answers, the same bytes, eof
 * and attributes as {@link Datastore#read}; when anything could wait or fail, null (and the
 * ordinary read answers).
 */
class ReadFromMemoryTest extends MemoryFastPathFixture {
    private static ByteBuffer room(int count) {
        return ByteBuffer.allocateDirect(VirtualFileSystem.readRoom(count));
    }

    private static byte[] bytes(ReadResult r) {
        ByteBuffer d = r.data().duplicate();
        byte[] b = new byte[d.remaining()];
        d.get(b);
        return b;
    }

    /** readFromMemory and read agree on bytes, eof and size. */
    private void assertSameAsRead(Caller c, long ino, long offset, int count) {
        ReadResult fast = fs.fastPath().readFromMemory(c, ino, offset, count, room(count));
        assertNotNull(fast, "answered from memory at " + offset + "+" + count);
        ReadResult slow = fs.read(c, ino, offset, count, room(count));
        assertArrayEquals(bytes(slow), bytes(fast), "bytes at " + offset + "+" + count);
        assertEquals(slow.eof(), fast.eof(), "eof at " + offset + "+" + count);
        assertEquals(slow.attributes().size(), fast.attributes().size());
    }

    @Test
    void answersWithTheBytesEofAndAttributesOfRead() {
        byte[] content = random(3 * MiB + 1234, 1);
        Inode f = fileWith("f", content, 0644);
        assertSameAsRead(ALICE, f.ino(), 0, MiB);
        assertSameAsRead(ALICE, f.ino(), 1000, MiB);                 // unaligned start
        assertSameAsRead(ALICE, f.ino(), 3 * MiB - 10, MiB);         // short read at end of file: eof
        assertSameAsRead(ALICE, f.ino(), content.length, MiB);       // at the end: empty, eof
        assertSameAsRead(ALICE, f.ino(), 10L * MiB, 4096);           // past the end: empty, eof
        ReadResult tail = fs.fastPath().readFromMemory(ALICE, f.ino(), 3 * MiB - 10, MiB, room(MiB));
        assertArrayEquals(Arrays.copyOfRange(content, 3 * MiB - 10, content.length), bytes(tail));
        assertTrue(tail.eof());

        Inode empty = fileWith("empty", new byte[0], 0644); // never written: no volume
        ReadResult none = fs.fastPath().readFromMemory(ALICE, empty.ino(), 0, 4096, room(4096));
        assertEquals(0, none.data().remaining());
        assertTrue(none.eof());
    }

    @Test
    void leavesToTheOrdinaryReadWhatItMustRefuse() {
        Inode secret = fileWith("secret", random(8192, 2), 0600);
        assertNull(fs.fastPath().readFromMemory(ALICE, secret.ino(), 0, 4096, room(4096)), "no permission: read() says ACCES");
        assertNull(fs.fastPath().readFromMemory(Caller.ROOT, Datastore.ROOT, 0, 4096, room(4096)), "a directory: read() says ISDIR");
        assertNull(fs.fastPath().readFromMemory(Caller.ROOT, 987654, 0, 4096, room(4096)), "no such inode: read() says STALE");
        assertNull(fs.fastPath().readFromMemory(Caller.ROOT, secret.ino(), -512, 4096, room(4096)));

        byte[] content = random(2 * MiB, 3);
        fileWith("src", content, 0644);
        Inode clone = fs.cloneFile("/src", "/clone", Datastore.CloneMode.LINKED);
        // the clone's clusters read through its origin (not here), and it was never opened
        assertNull(fs.fastPath().readFromMemory(ALICE, clone.ino(), 0, MiB, room(MiB)));
        assertArrayEquals(Arrays.copyOf(content, MiB), bytes(fs.read(ALICE, clone.ino(), 0, MiB, room(MiB))));
        assertNull(fs.fastPath().readFromMemory(ALICE, clone.ino(), 0, MiB, room(MiB)), "still read through the origin");
        fs.write(Caller.ROOT, clone.ino(), 0, ByteBuffer.wrap(random(MiB, 4)), Stability.FILE_SYNC);
        assertSameAsRead(ALICE, clone.ino(), 0, MiB);                 // its own copy now
    }

    @Test
    void refusesDataNotInThePageCache() throws Exception {
        byte[] content = random(2 * MiB, 5);
        Inode f = fileWith("f", content, 0644); // FILE_SYNC: clean pages, which the kernel may drop
        assertSameAsRead(ALICE, f.ino(), 0, MiB);
        Process p = new ProcessBuilder("dd", "if=" + tmp.resolve("pool/data"), "iflag=nocache", "count=0")
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes()));
        assertNull(fs.fastPath().readFromMemory(ALICE, f.ino(), 0, MiB, room(MiB)), "would wait for the disk");
        assertArrayEquals(Arrays.copyOf(content, MiB), bytes(fs.read(ALICE, f.ino(), 0, MiB, room(MiB))));
        assertSameAsRead(ALICE, f.ino(), 0, MiB);                     // the read brought it back
    }
}
