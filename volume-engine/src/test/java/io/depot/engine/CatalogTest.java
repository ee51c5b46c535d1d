package io.depot.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.core.Engine;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The catalog on a real pool: staging, tickets, waiting for them, and what a commit costs. */
class CatalogTest extends PoolFixture {
    /** No background commit: the counters then count only the commits a test asks for. */
    private static final PoolTuning NO_TICKER = new PoolTuning(64L << 20, TimeUnit.HOURS.toMillis(1), true);

    private Pool quietPool() {
        pool = Pool.create(dir.resolve("pool"), PoolOptions.ofCapacity(256 * MiB), NO_TICKER);
        return pool;
    }

    @Test
    void aStagedChangeIsVisibleAtOnceAndDurableByItsTicket() {
        Catalog catalog = pool().catalog();
        CatalogNamespace<String> iscsi = catalog.namespace("iscsi", CatalogCodec.UTF8);
        long first = iscsi.stage(Map.of("target/a", "1", "target/b", "2"));
        assertEquals("1", iscsi.get("target/a"));
        Map<String, String> change = new LinkedHashMap<>();
        change.put("target/a", null);
        change.put("target/c", "3");
        long second = iscsi.stage(change);
        assertTrue(second >= first, "tickets never go back");
        assertEquals(List.of("target/b", "target/c"), List.copyOf(iscsi.list("target/").keySet()));
        assertEquals(Map.of("target/c", "3"), iscsi.list("target/", "target/b", 5));
        assertEquals("3", iscsi.getCached("target/c").value());   // in the memtable: known without I/O
        assertNull(iscsi.getCached("target/a").value());
        catalog.await(second);
        assertTrue(catalog.isDurable(first) && catalog.isDurable(second));
        // stored exactly where builds before the catalog kept the setting "iscsi/target/b": old pools need no migration
        assertArrayEquals("2".getBytes(), pool.engine().metadata().get(io.depot.engine.core.Keys.setting("iscsi/target/b")));

        CatalogNamespace<String> after = reopen().catalog().namespace("iscsi", CatalogCodec.UTF8);
        assertEquals(Map.of("target/b", "2", "target/c", "3"), after.list(""));
        after.delete("target/b");
        after.put("target/d", "4");
        assertEquals(List.of("target/c", "target/d"), List.copyOf(reopen().catalog().namespace("iscsi", CatalogCodec.UTF8).list("").keySet()));
        assertThrows(IllegalArgumentException.class, () -> pool.catalog().namespace("a/b"));
    }

    @Test
    void whenDurableIsToldExactlyOncePerTicketOnAnotherThread() throws Exception {
        Catalog catalog = pool().catalog();
        CatalogNamespace<byte[]> nfs = catalog.namespace("nfs");
        int n = 20;
        Map<Integer, AtomicInteger> calls = new ConcurrentHashMap<>();
        Map<Thread, Boolean> threads = new ConcurrentHashMap<>();
        CountDownLatch told = new CountDownLatch(n + 1);
        for (int i = 0; i <= n; i++) {
            int id = i;
            long ticket = nfs.stage(Map.of("x/" + i, new byte[] {(byte) i}));
            if (i == n) {
                catalog.await(ticket);   // the last one is durable already when it asks
            }
            calls.put(id, new AtomicInteger());
            catalog.whenDurable(ticket, durable -> {
                assertTrue(durable);
                calls.get(id).incrementAndGet();
                threads.put(Thread.currentThread(), true);
                told.countDown();
            });
        }
        assertTrue(told.await(30, TimeUnit.SECONDS));
        // one more round trip through the syncer: a second call of any of them would have come by now
        CountDownLatch last = new CountDownLatch(1);
        catalog.whenDurable(nfs.stage(Map.of("y", new byte[0])), durable -> last.countDown());
        assertTrue(last.await(30, TimeUnit.SECONDS));
        calls.forEach((id, count) -> assertEquals(1, count.get(), "calls for change " + id));
        assertTrue(!threads.containsKey(Thread.currentThread()), "a callback ran on the caller's thread");
    }

    @Test
    void concurrentStagersShareOneCommit() throws Exception {
        Catalog catalog = quietPool().catalog();
        CatalogNamespace<byte[]> nfs = catalog.namespace("nfs");
        int n = 8;
        CyclicBarrier allStaged = new CyclicBarrier(n);
        CommitCounters before = catalog.commitCounters();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int id = i;
            threads.add(Thread.ofPlatform().start(() -> {
                long ticket = nfs.stage(Map.of("e/" + id, new byte[] {1}));
                try {
                    allStaged.await();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                catalog.await(ticket);
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(1, catalog.commitCounters().minus(before).commits(), "eight staged changes, one commit");
    }

    @Test
    void callersStagingAndWaitingInALoopGatherIntoFewerCommits() throws Exception {
        Catalog catalog = quietPool().catalog();
        CatalogNamespace<byte[]> nfs = catalog.namespace("nfs");
        int threads = 4;
        int each = 50;
        CommitCounters before = catalog.commitCounters();
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            running.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < each; i++) {
                    catalog.await(nfs.stage(Map.of("e/" + id + "/" + i, new byte[] {1})));
                }
            }));
        }
        for (Thread t : running) {
            t.join();
        }
        long commits = catalog.commitCounters().minus(before).commits();
        assertTrue(commits < threads * each, commits + " commits for " + threads * each + " changes");
        assertEquals(threads * each, nfs.list("e/").size());
    }

    @Test
    void aCatalogOnlyCommitDoesNotSyncTheDataFile() {
        Pool p = quietPool();
        Volume v = p.createVolume("v", 16 * MiB);
        write(v, 0, 1, 8192);
        v.flush();
        CommitCounters before = p.catalog().commitCounters();
        CatalogNamespace<byte[]> nfs = p.catalog().namespace("nfs");
        p.catalog().await(nfs.stage(Map.of("d/1/name", new byte[] {1})));
        assertEquals(new CommitCounters(1, 0, 1), p.catalog().commitCounters().minus(before));
    }

    @Test
    void aStageAndAVolumeFlushShareOneCommit() {
        Pool p = quietPool();
        Catalog catalog = p.catalog();
        Volume v = p.createVolume("v", 16 * MiB);
        CatalogNamespace<byte[]> nfs = catalog.namespace("nfs");

        CommitCounters before = catalog.commitCounters();
        write(v, 0, 1, 8192);
        long ticket = nfs.stage(Map.of("i/1", new byte[] {1}));
        v.flush();
        assertTrue(catalog.isDurable(ticket));
        assertEquals(new CommitCounters(1, 1, 1), catalog.commitCounters().minus(before));

        before = catalog.commitCounters();
        write(v, 1 * MiB, 2, 8192);
        catalog.await(nfs.stage(Map.of("i/2", new byte[] {2})));   // the ticket's commit covers the write before it
        v.flush();
        assertEquals(new CommitCounters(1, 1, 1), catalog.commitCounters().minus(before));
    }

    @Test
    void aFailedCommitFailsEveryWaiterAndLaterStages() throws Exception {
        FailingSyncStore meta = new FailingSyncStore(dir.resolve("meta"));
        Engine engine = Engine.create(meta, new io.depot.engine.store.FileBlockStore(dir.resolve("data")),
                PoolOptions.DEFAULT_CLUSTER_SIZE, 64 * MiB, NO_TICKER);
        Catalog catalog = new Catalog(engine.metadata(), engine.commitSyncer());
        CatalogNamespace<byte[]> nfs = catalog.namespace("nfs");
        long kept = nfs.stage(Map.of("a", new byte[] {1}));
        catalog.await(kept);

        meta.failSyncs();
        long lost = nfs.stage(Map.of("b", new byte[] {2}));
        List<Boolean> told = new ArrayList<>();
        CountDownLatch allTold = new CountDownLatch(3);
        for (int i = 0; i < 3; i++) {
            catalog.whenDurable(i == 0 ? kept : lost, durable -> {
                synchronized (told) {
                    told.add(durable);
                }
                allTold.countDown();
            });
        }
        StorageIoException e = assertThrows(StorageIoException.class, () -> catalog.await(lost));
        assertNotNull(e.getMessage());
        assertTrue(allTold.await(30, TimeUnit.SECONDS));
        synchronized (told) {
            assertEquals(1, told.stream().filter(d -> d).count(), "only the ticket made durable before the failure: " + told);
        }
        catalog.await(kept);   // durable before the failure: still so
        assertThrows(StorageIoException.class, () -> nfs.stage(Map.of("c", new byte[] {3})));
        assertThrows(StorageIoException.class, () -> nfs.tryStage(Map.of("c", new byte[] {3})));
        assertThrows(StorageIoException.class, engine::close);   // its last commit is refused too; the stores close anyway
    }
}
