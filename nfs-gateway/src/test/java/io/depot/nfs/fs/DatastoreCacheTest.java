package io.depot.nfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The inode, entry and open-file caches stay within their caps, follow every change, and forgetting loses nothing. */
class DatastoreCacheTest {
    @TempDir
    Path tmp;

    @Test
    void cachesAreBoundedAndEvictionKeepsUncommittedSizes() {
        try (Pool pool = Pool.create(tmp.resolve("pool"), PoolOptions.ofCapacity(1L << 30))) {
            Datastore ds = Datastore.open(pool, new Datastore.Limits(16, 4));
            long root = ds.resolve("/").ino();
            List<Long> files = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                Inode f = ds.create(Caller.ROOT, root, "f" + i, SetAttributes.NONE, VirtualFileSystem.CreateMode.GUARDED, 0).object();
                files.add(f.ino());
                // unaligned, UNSTABLE: the new size lives only in the cache until COMMIT (pinned there)
                ds.write(Caller.ROOT, f.ino(), 0, ByteBuffer.wrap(("file " + i).getBytes()), Stability.UNSTABLE);
                if (i % 10 == 9) {
                    for (long ino : files) {
                        ds.commit(ino);
                    }
                }
                assertTrue(ds.openFiles() <= 4, "open files " + ds.openFiles());
            }
            assertTrue(ds.cachedInodes() <= 16 + 10 + 2, "inodes " + ds.cachedInodes());
            for (int i = 0; i < 200; i++) {
                ReadResult r = ds.read(Caller.ROOT, files.get(i), 0, 100);
                byte[] got = new byte[r.data().remaining()];
                r.data().get(got);
                assertArrayEquals(("file " + i).getBytes(), got);
                assertEquals(got.length, ds.getattr(files.get(i)).size());
            }
            assertTrue(ds.cachedInodes() <= 16, "inodes " + ds.cachedInodes());
            assertTrue(ds.openFiles() <= 4);
            ds.close();
        }
    }

    @Test
    void cachedLookupFollowsCreateRenameAndRemoveAndNeverAnswersWhatItCannotCheck() {
        try (Pool pool = Pool.create(tmp.resolve("pool"), PoolOptions.ofCapacity(1L << 30))) {
            Datastore ds = Datastore.open(pool, new Datastore.Limits(16, 4));
            long root = ds.resolve("/").ino();
            Inode a = ds.create(Caller.ROOT, root, "a", SetAttributes.NONE, VirtualFileSystem.CreateMode.GUARDED, 0).object();
            assertEquals(a.ino(), ds.fastPath().cachedLookup(Caller.ROOT, ds.getattr(root), "a").ino(), "a create fills the entry cache");
            ds.rename(Caller.ROOT, root, "a", root, "b");
            assertNull(ds.fastPath().cachedLookup(Caller.ROOT, ds.getattr(root), "a"));
            assertEquals(a.ino(), ds.fastPath().cachedLookup(Caller.ROOT, ds.getattr(root), "b").ino());
            Inode c = ds.create(Caller.ROOT, root, "c", SetAttributes.NONE, VirtualFileSystem.CreateMode.GUARDED, 0).object();
            ds.rename(Caller.ROOT, root, "c", root, "b"); // replaces b
            assertEquals(c.ino(), ds.fastPath().cachedLookup(Caller.ROOT, ds.getattr(root), "b").ino());
            ds.remove(Caller.ROOT, root, "b");
            assertNull(ds.fastPath().cachedLookup(Caller.ROOT, ds.getattr(root), "b"));

            // many names: the cache stays bounded, a forgotten name is read back (and cached) by lookup
            for (int i = 0; i < 100; i++) {
                ds.create(Caller.ROOT, root, "n" + i, SetAttributes.NONE, VirtualFileSystem.CreateMode.GUARDED, 0);
            }
            assertNull(ds.fastPath().cachedLookup(Caller.ROOT, ds.getattr(root), "n0"), "evicted (cap 16)");
            Inode n0 = ds.lookup(Caller.ROOT, root, "n0");
            assertEquals(n0.ino(), ds.fastPath().cachedLookup(Caller.ROOT, ds.getattr(root), "n0").ino());

            // what the fast path must leave to the ordinary lookup
            Caller alice = new Caller(1000, 1000, new int[0]);
            Inode closed = ds.mkdir(Caller.ROOT, root, "closed", SetAttributes.mode(0700)).object();
            ds.create(Caller.ROOT, closed.ino(), "x", SetAttributes.NONE, VirtualFileSystem.CreateMode.GUARDED, 0);
            assertNull(ds.fastPath().cachedLookup(alice, ds.getattr(closed.ino()), "x"), "no search permission: the worker answers ACCES");
            assertNull(ds.fastPath().cachedLookup(Caller.ROOT, ds.getattr(closed.ino()), ".."));
            assertNull(ds.fastPath().cachedLookup(Caller.ROOT, ds.getattr(n0.ino()), "x"), "not a directory");
            ds.close();
        }
    }
}
