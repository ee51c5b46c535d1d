package io.depot.nfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.Volume;
import io.depot.engine.VolumeOwner;
import io.depot.nfs.fs.VirtualFileSystem.CreateMode;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The datastore over a real pool: namespace rules, listings, data path, restarts and crash repair. */
class DatastoreTest {
    private static final long ROOT = Datastore.ROOT;
    private static final Caller ALICE = new Caller(1000, 1000, new int[0]);
    private static final Caller BOB = new Caller(1001, 1001, new int[0]);

    @TempDir
    Path tmp;
    private Pool pool;
    private Datastore fs;

    private Datastore open() {
        Path dir = tmp.resolve("pool");
        pool = Pool.exists(dir) ? Pool.open(dir) : Pool.create(dir, PoolOptions.ofCapacity(1L << 30));
        fs = Datastore.open(pool);
        return fs;
    }

    /** A clean shutdown. */
    private Datastore reopen() {
        fs.close();
        pool.close();
        return open();
    }

    /** Process death: nothing cached is written out (the pool's synced metadata stays). */
    private Datastore crashAndReopen() {
        pool.close();
        return open();
    }

    @AfterEach
    void close() {
        if (pool != null) {
            pool.close();
        }
    }

    private Inode file(String name) {
        return fs.create(Caller.ROOT, ROOT, name, SetAttributes.NONE, CreateMode.GUARDED, 0).object();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private byte[] readAll(long ino) {
        Inode i = fs.getattr(ino);
        ByteBuffer r = fs.read(Caller.ROOT, ino, 0, (int) i.size() + 10).data();
        byte[] b = new byte[r.remaining()];
        r.get(b);
        return b;
    }

    private boolean volumeExists(String name) {
        return pool.volumes().stream().anyMatch(v -> v.name().equals(name));
    }

    @Test
    void createLinkRenameRemoveKeepCountsAndVolumesRight() {
        open();
        Inode a = file("a");
        assertFalse(volumeExists(Datastore.volumeName(a.ino())), "an empty file has no volume until its first write");
        fs.write(Caller.ROOT, a.ino(), 0, ByteBuffer.wrap(new byte[] {1}), Stability.UNSTABLE);
        assertTrue(volumeExists(Datastore.volumeName(a.ino())));
        assertThrows(FsException.Exists.class, () -> file("a"));
        Inode sub = fs.mkdir(Caller.ROOT, ROOT, "sub", SetAttributes.NONE).object();
        assertEquals(3, fs.getattr(ROOT).nlink());

        Linked l = fs.link(Caller.ROOT, a.ino(), sub.ino(), "a2");
        assertEquals(2, l.file().nlink());
        assertEquals(a.ino(), fs.lookup(Caller.ROOT, sub.ino(), "a2").ino());
        assertEquals(sub.ino(), fs.lookup(Caller.ROOT, sub.ino(), ".").ino());
        assertEquals(ROOT, fs.lookup(Caller.ROOT, sub.ino(), "..").ino());

        // rename over an existing file replaces it; the replaced file's volume goes
        Inode b = file("b");
        fs.write(Caller.ROOT, b.ino(), 0, ByteBuffer.wrap(new byte[] {2}), Stability.UNSTABLE);
        assertTrue(volumeExists(Datastore.volumeName(b.ino())));
        fs.rename(Caller.ROOT, ROOT, "a", ROOT, "b");
        fs.awaitVolumeDeletions();
        assertEquals(a.ino(), fs.lookup(Caller.ROOT, ROOT, "b").ino());
        assertThrows(FsException.NoEntry.class, () -> fs.lookup(Caller.ROOT, ROOT, "a"));
        assertThrows(FsException.Stale.class, () -> fs.getattr(b.ino(), b.generation()));
        assertFalse(volumeExists(Datastore.volumeName(b.ino())));

        // a directory cannot move below itself, nor replace a non-empty one
        Inode deep = fs.mkdir(Caller.ROOT, sub.ino(), "deep", SetAttributes.NONE).object();
        assertThrows(FsException.Invalid.class, () -> fs.rename(Caller.ROOT, ROOT, "sub", deep.ino(), "x"));
        fs.mkdir(Caller.ROOT, ROOT, "other", SetAttributes.NONE);
        assertThrows(FsException.NotEmpty.class, () -> fs.rename(Caller.ROOT, ROOT, "other", ROOT, "sub"));
        fs.rename(Caller.ROOT, sub.ino(), "deep", ROOT, "moved");
        assertEquals(ROOT, fs.getattr(deep.ino()).parent());
        assertEquals(2, fs.getattr(sub.ino()).nlink());

        assertThrows(FsException.NotEmpty.class, () -> fs.rmdir(Caller.ROOT, ROOT, "sub"));
        assertThrows(FsException.IsDirectory.class, () -> fs.remove(Caller.ROOT, ROOT, "sub"));
        assertThrows(FsException.NotDirectory.class, () -> fs.rmdir(Caller.ROOT, ROOT, "b"));
        fs.remove(Caller.ROOT, ROOT, "b");
        assertEquals(1, fs.getattr(a.ino()).nlink());
        assertTrue(volumeExists(Datastore.volumeName(a.ino())), "one link left: the file lives");
        fs.remove(Caller.ROOT, sub.ino(), "a2");
        assertThrows(FsException.Stale.class, () -> fs.getattr(a.ino()));
        fs.awaitVolumeDeletions();
        assertFalse(volumeExists(Datastore.volumeName(a.ino())));
        fs.rmdir(Caller.ROOT, ROOT, "sub");
        fs.rmdir(Caller.ROOT, ROOT, "other");
        fs.rmdir(Caller.ROOT, ROOT, "moved");
        assertEquals(2, fs.getattr(ROOT).nlink());
        assertEquals(List.of(".", ".."), fs.readdir(Caller.ROOT, ROOT, 0, 100, false).entries().stream().map(DirEntry::name).toList());
        assertThrows(FsException.NameTooLong.class, () -> file("x".repeat(256)));
        assertThrows(FsException.Invalid.class, () -> file("a/b"));
        assertThrows(FsException.BadType.class, () -> fs.mknod(Caller.ROOT, ROOT, "r", FileType.REGULAR, 0, 0, SetAttributes.NONE));
        Inode fifo = fs.mknod(Caller.ROOT, ROOT, "fifo", FileType.FIFO, 0, 0, SetAttributes.NONE).object();
        assertEquals(FileType.FIFO, fifo.type());
        Inode link = fs.symlink(Caller.ROOT, ROOT, "ln", "target/path".getBytes(), SetAttributes.NONE).object();
        assertArrayEquals("target/path".getBytes(), fs.readlink(Caller.ROOT, link.ino()));
        assertEquals(List.of(), pool.verify());
    }

    @Test
    void readdirPagesThroughThousandsOfEntriesWhileTheDirectoryChanges() {
        open();
        Inode dir = fs.mkdir(Caller.ROOT, ROOT, "many", SetAttributes.NONE).object();
        int n = 3000;
        for (int i = 0; i < n; i++) {
            fs.mknod(Caller.ROOT, dir.ino(), "f" + i, FileType.FIFO, 0, 0, SetAttributes.NONE);
        }
        Set<String> seen = new HashSet<>();
        List<String> order = new ArrayList<>();
        long cookie = 0;
        int pages = 0;
        Set<String> removed = new HashSet<>();
        while (true) {
            DirPage page = fs.readdir(Caller.ROOT, dir.ino(), cookie, 97, pages % 2 == 0);
            for (DirEntry e : page.entries()) {
                assertTrue(seen.add(e.name()), "listed twice: " + e.name());
                order.add(e.name());
                cookie = e.cookie();
            }
            pages++;
            if (pages == 5) {
                // between pages: remove entries not yet listed and some already listed, add new ones
                for (int i = 2000; i < 2100; i++) {
                    fs.remove(Caller.ROOT, dir.ino(), "f" + i);
                    removed.add("f" + i);
                }
                fs.remove(Caller.ROOT, dir.ino(), "f1");
                fs.mknod(Caller.ROOT, dir.ino(), "late", FileType.FIFO, 0, 0, SetAttributes.NONE);
            }
            if (page.eof()) {
                break;
            }
        }
        assertTrue(pages >= 30, "paged " + pages + " times");
        for (int i = 0; i < n; i++) {
            assertEquals(!removed.contains("f" + i), seen.contains("f" + i), "f" + i);
        }
        assertTrue(seen.contains("late"), "an entry added during the listing comes after the cookie");
        assertEquals(".", order.get(0));
        assertEquals("..", order.get(1));
        assertThrows(FsException.BadCookie.class, () -> fs.readdir(Caller.ROOT, dir.ino(), 1L << 40, 10, false));
        // cookies stay valid across a restart
        long mid = fs.readdir(Caller.ROOT, dir.ino(), 0, 500, false).entries().get(499).cookie();
        String next = fs.readdir(Caller.ROOT, dir.ino(), mid, 1, false).entries().get(0).name();
        reopen();
        assertEquals(next, fs.readdir(Caller.ROOT, dir.ino(), mid, 1, false).entries().get(0).name());
    }

    @Test
    void unalignedWritesReadBackAndHandlesSurviveReopen() {
        open();
        Inode f = file("data");
        byte[] a = random(70000, 1);
        fs.write(Caller.ROOT, f.ino(), 513, ByteBuffer.wrap(a), Stability.UNSTABLE);
        byte[] b = random(100, 2);
        fs.write(Caller.ROOT, f.ino(), 1000, ByteBuffer.wrap(b), Stability.UNSTABLE);
        byte[] expect = new byte[513 + 70000];
        System.arraycopy(a, 0, expect, 513, a.length);
        System.arraycopy(b, 0, expect, 1000, b.length);
        assertArrayEquals(expect, readAll(f.ino()));
        ReadResult tail = fs.read(Caller.ROOT, f.ino(), 70500, 1000);
        assertEquals(13, tail.data().remaining());
        assertTrue(tail.eof());
        fs.commit(f.ino());

        reopen();
        Inode again = fs.getattr(f.ino(), f.generation());
        assertEquals(70513, again.size());
        assertArrayEquals(expect, readAll(f.ino()));

        // truncate down then up: what was cut reads as zeros
        fs.setattr(Caller.ROOT, f.ino(), SetAttributes.size(700), null);
        fs.setattr(Caller.ROOT, f.ino(), SetAttributes.size(5000), null);
        byte[] now = readAll(f.ino());
        assertEquals(5000, now.length);
        for (int i = 0; i < 5000; i++) {
            assertEquals(i < 700 ? expect[i] : 0, now[i], "byte " + i);
        }
        fs.remove(Caller.ROOT, ROOT, "data");
        reopen();
        assertThrows(FsException.Stale.class, () -> fs.getattr(f.ino(), f.generation()));
        assertThrows(FsException.Stale.class, () -> fs.getattr(f.ino() + 100));
    }

    @Test
    void anUncommittedExtensionIsForgottenAfterACrashAndLeavesNoBytesBeyondTheEnd() {
        open();
        Inode f = file("log");
        fs.write(Caller.ROOT, f.ino(), 0, ByteBuffer.wrap(random(1000, 3)), Stability.FILE_SYNC);
        fs.write(Caller.ROOT, f.ino(), 1000, ByteBuffer.wrap(random(300000, 4)), Stability.UNSTABLE);
        pool.flush(); // even if the data reached the disk, the size did not: it was never committed
        crashAndReopen();
        assertEquals(1000, fs.getattr(f.ino()).size());
        fs.setattr(Caller.ROOT, f.ino(), SetAttributes.size(400000), null);
        byte[] all = readAll(f.ino());
        for (int i = 1000; i < all.length; i++) {
            assertEquals(0, all[i], "byte " + i + " past the committed end");
        }
        // a stable write's size is durable at once
        fs.write(Caller.ROOT, f.ino(), 400000, ByteBuffer.wrap(random(10, 5)), Stability.DATA_SYNC);
        crashAndReopen();
        assertEquals(400010, fs.getattr(f.ino()).size());
    }

    @Test
    void aCrashBetweenVolumeCreationAndNamespaceCommitLeavesNoOrphan() {
        open();
        Inode keep = file("keep");
        fs.write(Caller.ROOT, keep.ino(), 0, ByteBuffer.wrap(new byte[] {9}), Stability.FILE_SYNC);
        // what a first write does before the inode names the new volume: the volume of a file that has none
        Inode empty = file("empty");
        String orphan = Datastore.volumeName(empty.ino());
        VolumeOwner datastore = fs.volumeOf(keep.ino()).owner();
        assertEquals(VolumeOwner.Kind.NFS_FILE, datastore.kind());
        pool.createVolume(orphan, 512, datastore);
        // and what a remove leaves when it dies after its commit: a volume of an inode that is gone
        String removed = Datastore.volumeName(keep.ino() + 7);
        pool.createVolume(removed, 4096, datastore);
        pool.createVolume("not-ours", 4096);
        String userNamedLikeAFile = Datastore.volumeName(keep.ino() + 8);
        pool.createVolume(userNamedLikeAFile, 4096);
        crashAndReopen();
        assertFalse(volumeExists(orphan));
        assertFalse(volumeExists(removed));
        assertTrue(volumeExists("not-ours"), "volumes the datastore does not own are left alone");
        assertTrue(volumeExists(userNamedLikeAFile), "whatever their name");
        assertTrue(volumeExists(Datastore.volumeName(keep.ino())));
        assertArrayEquals(new byte[] {9}, readAll(keep.ino()));
        // the file whose first write the crash interrupted is still empty, and takes a write now
        assertEquals(0, fs.getattr(empty.ino(), empty.generation()).size());
        assertEquals(0, readAll(empty.ino()).length);
        fs.write(Caller.ROOT, empty.ino(), 0, ByteBuffer.wrap(new byte[] {1}), Stability.FILE_SYNC);
        assertTrue(volumeExists(orphan));
        assertArrayEquals(new byte[] {1}, readAll(empty.ino()));
    }

    @Test
    void aFileWhoseVolumeVanishedGetsAnEmptyOne() {
        open();
        Inode f = file("victim");
        fs.write(Caller.ROOT, f.ino(), 0, ByteBuffer.wrap(random(4096, 6)), Stability.FILE_SYNC);
        reopen();
        Volume v = pool.volume(Datastore.volumeName(f.ino()));
        v.delete();
        crashAndReopen();
        Inode fixed = fs.getattr(f.ino(), f.generation());
        assertEquals(0, fixed.size());
        assertTrue(volumeExists(Datastore.volumeName(f.ino())));
        fs.write(Caller.ROOT, f.ino(), 0, ByteBuffer.wrap(new byte[] {7}), Stability.FILE_SYNC);
        assertArrayEquals(new byte[] {7}, readAll(f.ino()));
    }

    @Test
    void modeBitsDecideWhoMayDoWhat() {
        open();
        Inode shared = fs.mkdir(Caller.ROOT, ROOT, "shared", SetAttributes.mode(01777)).object();
        Inode mine = fs.create(ALICE, shared.ino(), "mine", SetAttributes.mode(0600), CreateMode.GUARDED, 0).object();
        assertEquals(ALICE.uid(), mine.uid());
        assertThrows(FsException.AccessDenied.class, () -> fs.create(ALICE, ROOT, "x", SetAttributes.NONE, CreateMode.GUARDED, 0));
        assertThrows(FsException.AccessDenied.class, () -> fs.read(BOB, mine.ino(), 0, 10));
        assertThrows(FsException.AccessDenied.class,
                () -> fs.write(BOB, mine.ino(), 0, ByteBuffer.wrap(new byte[1]), Stability.UNSTABLE));
        assertThrows(FsException.AccessDenied.class, () -> fs.remove(BOB, shared.ino(), "mine"), "sticky directory");
        assertThrows(FsException.NotPermitted.class, () -> fs.setattr(BOB, mine.ino(), SetAttributes.mode(0666), null));
        assertThrows(FsException.NotPermitted.class,
                () -> fs.setattr(ALICE, mine.ino(), new SetAttributes(null, 1001, null, null, null, null), null));
        // the owner writes even into a file whose mode forbids it (there is no open in NFS)
        fs.setattr(ALICE, mine.ino(), SetAttributes.mode(0400), null);
        fs.write(ALICE, mine.ino(), 0, ByteBuffer.wrap(new byte[] {1, 2}), Stability.UNSTABLE);
        fs.setattr(ALICE, mine.ino(), SetAttributes.mode(0644), null);
        assertEquals(2, fs.read(BOB, mine.ino(), 0, 10).data().remaining());
        Inode before = fs.getattr(mine.ino());
        assertThrows(FsException.NotSync.class, () -> fs.setattr(ALICE, mine.ino(), SetAttributes.mode(0600), before.ctime() - 1));
        fs.setattr(ALICE, mine.ino(), SetAttributes.mode(0600), before.ctime());
        fs.remove(ALICE, shared.ino(), "mine");
    }

    @Test
    void exclusiveCreateRecognisesItsRetransmission() {
        open();
        long verifier = 0x1234_5678_9abc_def0L;
        Created first = fs.create(Caller.ROOT, ROOT, "x", SetAttributes.NONE, CreateMode.EXCLUSIVE, verifier);
        Created again = fs.create(Caller.ROOT, ROOT, "x", SetAttributes.NONE, CreateMode.EXCLUSIVE, verifier);
        assertEquals(first.object().ino(), again.object().ino());
        assertThrows(FsException.Exists.class, () -> fs.create(Caller.ROOT, ROOT, "x", SetAttributes.NONE, CreateMode.EXCLUSIVE, 42));
        assertThrows(FsException.Exists.class, () -> fs.create(Caller.ROOT, ROOT, "x", SetAttributes.NONE, CreateMode.GUARDED, 0));
        // UNCHECKED on an existing file applies the size (a truncating open)
        fs.write(Caller.ROOT, first.object().ino(), 0, ByteBuffer.wrap(new byte[100]), Stability.UNSTABLE);
        Created trunc = fs.create(Caller.ROOT, ROOT, "x", SetAttributes.size(0), CreateMode.UNCHECKED, 0);
        assertEquals(0, trunc.object().size());
        // the client's SETATTR after an exclusive create replaces the verifier with real times
        Change c = fs.setattr(Caller.ROOT, first.object().ino(),
                new SetAttributes(0640, null, null, null, SetAttributes.SERVER_TIME, SetAttributes.SERVER_TIME), null);
        assertEquals(0640, c.after().mode());
        assertThrows(FsException.Exists.class, () -> fs.create(Caller.ROOT, ROOT, "x", SetAttributes.NONE, CreateMode.EXCLUSIVE, verifier));
    }
}
