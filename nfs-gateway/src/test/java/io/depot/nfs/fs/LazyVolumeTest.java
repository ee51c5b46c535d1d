package io.depot.nfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.nfs.fs.VirtualFileSystem.CreateMode;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.Lock;
import org.junit.jupiter.api.Test;

/**
 * A created file gets its volume at its first write or size change, not at CREATE, and a
 * removed file's volume is deleted in the background after the removal is durable. Both keep
 * what a crash may leave repairable by the sweep at open; checked with real pool reopens
 * ("crash": the pool closes without the datastore's close).
 */
class LazyVolumeTest extends CrashReopenFixture {
    private Inode file(String name) {
        return fs.create(Caller.ROOT, ROOT, name, SetAttributes.NONE, CreateMode.GUARDED, 0).object();
    }

    private boolean hasVolume(Inode i) {
        String name = Datastore.volumeName(i.ino());
        return pool.volumes().stream().anyMatch(v -> v.name().equals(name));
    }

    private long fileVolumes() {
        return pool.volumes().stream().filter(v -> v.name().startsWith("nfs.")).count();
    }

    private byte[] read(VirtualFileSystem vfs, long ino) {
        ReadResult r = vfs.read(Caller.ROOT, ino, 0, 1 << 20);
        assertTrue(r.eof());
        byte[] b = new byte[r.data().remaining()];
        r.data().get(b);
        return b;
    }

    @Test
    void aNeverWrittenFileHasNoVolumeAndBehavesLikeAnEmptyFile() {
        open();
        Inode f = file("empty");
        assertFalse(hasVolume(f));
        assertNull(f.volume());
        assertEquals(0, f.size());
        assertEquals(0, fs.allocatedBytes(f));
        assertEquals(0, read(fs, f.ino()).length);
        fs.commit(f.ino());
        fs.setattr(Caller.ROOT, f.ino(), SetAttributes.size(0), null); // size 0 stays 0: still no volume
        fs.setattr(Caller.ROOT, f.ino(), SetAttributes.mode(0600), null);
        assertFalse(hasVolume(f));

        // survives a crash as it is: inode, handle (ino + generation), no volume
        crashAndReopen();
        Inode again = fs.getattr(f.ino(), f.generation());
        assertEquals(0600, again.mode());
        assertEquals(0, again.size());
        assertEquals(f.ino(), fs.lookup(Caller.ROOT, ROOT, "empty").ino());

        // a size change makes the volume; the extension reads as zeros
        Inode sized = fs.setattr(Caller.ROOT, f.ino(), SetAttributes.size(3000), null).after();
        assertEquals(3000, sized.size());
        assertTrue(hasVolume(f));
        assertArrayEquals(new byte[3000], read(fs, f.ino()));
        crashAndReopen();
        assertEquals(3000, fs.getattr(f.ino()).size());

        // removing a never-written file deletes no volume
        Inode other = file("other");
        long before = fileVolumes();
        fs.remove(Caller.ROOT, ROOT, "other");
        fs.awaitVolumeDeletions();
        assertEquals(before, fileVolumes());
        assertThrows(FsException.Stale.class, () -> fs.getattr(other.ino(), other.generation()));
    }

    @Test
    void snapshotsAndClonesOfANeverWrittenFileAreEmptyFilesToo() {
        open();
        Inode f = file("blank.img");
        ExportSnapshot s = fs.createExportSnapshot("/", "before");
        Inode clone = fs.cloneFile("/blank.img", "/copy.img", Datastore.CloneMode.LINKED);
        assertEquals(0, clone.size());
        assertFalse(hasVolume(clone));

        fs.write(Caller.ROOT, f.ino(), 0, ByteBuffer.wrap(new byte[] {5, 6, 7}), Stability.FILE_SYNC);
        assertTrue(hasVolume(f));
        assertArrayEquals(new byte[] {5, 6, 7}, read(fs, f.ino()));

        VirtualFileSystem view = fs.snapshotView(s.id());
        Inode frozen = view.lookup(Caller.ROOT, Datastore.snapshotRoot(s), "blank.img");
        assertEquals(0, frozen.size());
        assertEquals(0, read(view, frozen.ino()).length, "the snapshot keeps the file as it was: empty");
        assertEquals(0, read(fs, clone.ino()).length, "the clone does not see the source's later write");

        fs.write(Caller.ROOT, clone.ino(), 0, ByteBuffer.wrap(new byte[] {1}), Stability.FILE_SYNC);
        assertTrue(hasVolume(clone));
        assertArrayEquals(new byte[] {5, 6, 7}, read(fs, f.ino()));

        fs.deleteExportSnapshot("/", "before");
        fs.remove(Caller.ROOT, ROOT, "blank.img");
        fs.remove(Caller.ROOT, ROOT, "copy.img");
        fs.awaitVolumeDeletions();
        assertEquals(0, fileVolumes());
    }

    @Test
    void aCrashBeforeTheBackgroundDeletionLeavesNothingBehind() {
        open();
        Inode f = file("data.bin");
        fs.write(Caller.ROOT, f.ino(), 0, ByteBuffer.wrap(new byte[70_000]), Stability.FILE_SYNC);
        Inode keep = file("keep.bin");
        fs.write(Caller.ROOT, keep.ino(), 0, ByteBuffer.wrap(new byte[] {4}), Stability.FILE_SYNC);
        Lock deleter = fs.volumeDeletionLock();
        deleter.lock(); // the deleter cannot start: the crash comes after the removal, before the deletion
        try {
            fs.remove(Caller.ROOT, ROOT, "data.bin"); // returns once the removal is durable
            assertTrue(hasVolume(f), "the volume is still there: deletion is the deleter's job");
            crashAndReopen();
            assertFalse(hasVolume(f), "the sweep at open deleted the volume no inode names");
            assertThrows(FsException.NoEntry.class, () -> fs.lookup(Caller.ROOT, ROOT, "data.bin"));
            assertThrows(FsException.Stale.class, () -> fs.getattr(f.ino(), f.generation()));
            assertArrayEquals(new byte[] {4}, read(fs, keep.ino()));
        } finally {
            deleter.unlock(); // the old datastore's deleter now fails on the closed pool and logs it
        }
        assertEquals(1, fileVolumes());
    }
}
