package io.depot.nfs.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.StorageIoException;
import io.depot.nfs.fs.VirtualFileSystem.CreateMode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * CREATE, SETATTR and REMOVE made from memory for an event loop ({@link MemoryFastPath#tryCreate},
 * {@link MemoryFastPath#trySetattr}, {@link MemoryFastPath#tryRemove}): the same changes as the ordinary calls, declined (nothing
 * changed) where they would have to wait or fail, and reported durable only once a commit of
 * the pool's catalog covered them. Durability is checked by reopening the pool
 * without the datastore's close (a crash as far as the datastore can tell).
 */
class NamespaceFastPathTest extends CrashReopenFixture {
    /** Waits (bounded) for {@link MemoryFastPath#whenDurable}'s verdict on {@code ticket}. */
    private boolean durable(long ticket) throws Exception {
        CompletableFuture<Boolean> verdict = new CompletableFuture<>();
        fs.fastPath().whenDurable(ticket, verdict::complete);
        return verdict.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aFileMadeAndRemovedFromMemoryIsThereAndGoneOnceReportedDurable() throws Exception {
        open();
        MemoryFastPath.Pending<Created> made = fs.fastPath().tryCreate(Caller.ROOT, ROOT, "a", SetAttributes.NONE, CreateMode.GUARDED, 0);
        assertNotNull(made, "an absent name in a fresh datastore is known from memory");
        assertEquals(made.result().object().ino(), fs.lookup(Caller.ROOT, ROOT, "a").ino(), "visible at once");
        assertTrue(durable(made.ticket()));
        crashAndReopen();
        // after the reopen nothing is cached: REMOVE declines, changing nothing, until the ordinary path read it
        assertNull(fs.fastPath().tryRemove(Caller.ROOT, ROOT, "a"));
        Inode a = fs.lookup(Caller.ROOT, ROOT, "a"); // caches the entry and both inodes
        assertEquals(made.result().object().ino(), a.ino());
        assertEquals(0, a.size());
        MemoryFastPath.Pending<Change> removed = fs.fastPath().tryRemove(Caller.ROOT, ROOT, "a");
        assertNotNull(removed);
        assertTrue(removed.result().after().mtime() >= removed.result().before().mtime());
        assertThrows(FsException.NoEntry.class, () -> fs.lookup(Caller.ROOT, ROOT, "a"));
        assertTrue(durable(removed.ticket()));
        crashAndReopen();
        assertThrows(FsException.NoEntry.class, () -> fs.lookup(Caller.ROOT, ROOT, "a"));
    }

    @Test
    void whatTheFastPathCannotDoAloneItDeclinesHavingChangedNothing() throws Exception {
        open();
        Inode f = fs.create(Caller.ROOT, ROOT, "f", SetAttributes.NONE, CreateMode.GUARDED, 0).object();
        fs.write(Caller.ROOT, f.ino(), 0, ByteBuffer.wrap(new byte[] {1, 2, 3}), Stability.FILE_SYNC); // f gets a volume
        long changes = fs.namespaceChanges();
        // errors are the ordinary call's to answer
        assertNull(fs.fastPath().tryCreate(Caller.ROOT, ROOT, "f", SetAttributes.NONE, CreateMode.GUARDED, 0), "GUARDED on an existing name");
        assertNull(fs.fastPath().tryRemove(Caller.ROOT, ROOT, "nothing-here"));
        assertNull(fs.fastPath().tryCreate(Caller.ROOT, f.ino(), "x", SetAttributes.NONE, CreateMode.UNCHECKED, 0), "not a directory");
        assertNull(fs.fastPath().tryCreate(new Caller(1000, 1000, new int[0]), ROOT, "y", SetAttributes.NONE, CreateMode.UNCHECKED, 0),
                "no write permission in the root (0755, root's)");
        // a size to set, a volume to delete: work for a worker
        assertNull(fs.fastPath().tryCreate(Caller.ROOT, ROOT, "g", SetAttributes.size(10), CreateMode.UNCHECKED, 0));
        assertNull(fs.fastPath().tryRemove(Caller.ROOT, ROOT, "f"), "f has a volume");
        assertEquals(changes, fs.namespaceChanges(), "nothing was applied");
        assertEquals(3, fs.lookup(Caller.ROOT, ROOT, "f").size());
        assertThrows(FsException.NoEntry.class, () -> fs.lookup(Caller.ROOT, ROOT, "g"));

        // an existing file and UNCHECKED: found, nothing changed, reported once what was seen is durable
        MemoryFastPath.Pending<Created> again = fs.fastPath().tryCreate(Caller.ROOT, ROOT, "f", SetAttributes.NONE, CreateMode.UNCHECKED, 0);
        assertNotNull(again);
        assertEquals(f.ino(), again.result().object().ino());
        assertEquals(changes, fs.namespaceChanges());
        assertTrue(durable(again.ticket()));
    }

    @Test
    void concurrentChangesFromMemoryAndFromWorkersShareSyncsAndAllSurvive() throws Exception {
        open();
        int threads = 4;
        int perThread = 100;
        ExecutorService clients = Executors.newFixedThreadPool(threads);
        List<Future<Integer>> done = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(clients.submit(() -> {
                    int fast = 0;
                    for (int i = 0; i < perThread; i++) {
                        String name = "t" + thread + "-" + i;
                        MemoryFastPath.Pending<Created> p = fs.fastPath().tryCreate(Caller.ROOT, ROOT, name, SetAttributes.NONE, CreateMode.UNCHECKED, 0);
                        if (p == null) { // the lock was busy: the ordinary call, as a worker would
                            fs.create(Caller.ROOT, ROOT, name, SetAttributes.NONE, CreateMode.UNCHECKED, 0);
                        } else {
                            fast++;
                            assertTrue(durable(p.ticket()));
                        }
                        if (i % 2 == 1) {
                            String previous = "t" + thread + "-" + (i - 1);
                            MemoryFastPath.Pending<Change> r = fs.fastPath().tryRemove(Caller.ROOT, ROOT, previous);
                            if (r == null) {
                                fs.remove(Caller.ROOT, ROOT, previous);
                            } else {
                                assertTrue(durable(r.ticket()));
                            }
                        }
                    }
                    return fast;
                }));
            }
            int fast = 0;
            for (Future<Integer> f : done) {
                fast += f.get(60, TimeUnit.SECONDS);
            }
            assertTrue(fast > 0, "some creates were made from memory");
        } finally {
            clients.shutdownNow();
        }
        long changes = fs.namespaceChanges();
        assertTrue(fs.namespaceSyncs() <= changes, fs.namespaceSyncs() + " syncs for " + changes + " changes");
        crashAndReopen();
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < perThread; i++) {
                String name = "t" + t + "-" + i;
                if (i % 2 == 1) {
                    assertEquals(name, nameOf(fs.lookup(Caller.ROOT, ROOT, name)), name);
                } else {
                    assertThrows(FsException.NoEntry.class, () -> fs.lookup(Caller.ROOT, ROOT, name), name);
                }
            }
        }
    }

    private String nameOf(Inode i) {
        DirPage page = fs.readdir(Caller.ROOT, ROOT, 0, 1000, false);
        return page.entries().stream().filter(e -> e.ino() == i.ino()).findFirst().orElseThrow().name();
    }

    /**
     * The engine's catalog makes the commits (see CatalogTest, whose failing store shows a failed
     * commit told to every ticket it covered): here, that the fast path hears the verdict on the
     * pool's commit-syncer thread, never its own event loop, and that a change the pool can no
     * longer commit is never called durable.
     */
    @Test
    void durabilityIsToldOnTheSyncerThreadAndNeverForAChangeAClosedPoolCannotCommit() throws Exception {
        open();
        MemoryFastPath.Pending<Created> made = fs.fastPath().tryCreate(Caller.ROOT, ROOT, "a", SetAttributes.NONE, CreateMode.GUARDED, 0);
        assertNotNull(made);
        Thread caller = Thread.currentThread();
        for (int round = 0; round < 2; round++) { // pending at first, then already durable: told elsewhere either way
            CompletableFuture<Thread> where = new CompletableFuture<>();
            fs.fastPath().whenDurable(made.ticket(), durable -> where.complete(durable ? Thread.currentThread() : null));
            Thread told = where.get(10, TimeUnit.SECONDS);
            assertNotNull(told, "durable");
            assertNotSame(caller, told, "a verdict runs on the commit syncer, not the caller's thread");
        }

        pool.close(); // every later commit is refused: the stores are closed
        long never = pool.catalog().ticket();
        CompletableFuture<Boolean> told = new CompletableFuture<>();
        fs.fastPath().whenDurable(never, told::complete);
        assertEquals(false, told.get(10, TimeUnit.SECONDS));
        assertThrows(StorageIoException.class, () -> pool.catalog().await(never));
        pool = null;
    }

    @Test
    void aSetattrFromMemoryChangesWhatTheOrdinaryOneWouldAndIsDurableOnceReported() throws Exception {
        open();
        Inode f = fs.create(Caller.ROOT, ROOT, "f", SetAttributes.NONE, CreateMode.EXCLUSIVE, 42).object();
        long changes = fs.namespaceChanges();
        Caller alice = new Caller(1000, 1000, new int[0]);
        assertNull(fs.fastPath().trySetattr(alice, f.ino(), new SetAttributes(0600, null, null, null, null, null), null),
                "not the owner: the worker answers EPERM");
        assertNull(fs.fastPath().trySetattr(Caller.ROOT, f.ino(), SetAttributes.size(10), null), "a size: the worker's");
        assertNull(fs.fastPath().trySetattr(Caller.ROOT, f.ino(), SetAttributes.NONE, f.ctime() + 1), "guard: NOT_SYNC from the worker");
        assertEquals(changes, fs.namespaceChanges(), "nothing was applied");
        long t = 1_700_000_000_000_000_000L;
        MemoryFastPath.Pending<Change> set = fs.fastPath().trySetattr(Caller.ROOT, f.ino(),
                new SetAttributes(0640, null, null, null, t, t), f.ctime());
        assertNotNull(set, "the kernel client's SETATTR after an exclusive create: mode and times");
        assertEquals(0640, set.result().after().mode() & 07777);
        assertEquals(t, set.result().after().mtime());
        assertEquals(0640, fs.getattr(f.ino()).mode() & 07777, "visible at once");
        assertTrue(durable(set.ticket()));
        crashAndReopen();
        Inode back = fs.getattr(f.ino());
        assertEquals(0640, back.mode() & 07777);
        assertEquals(t, back.atime());
        assertEquals(t, back.mtime());
    }
}
