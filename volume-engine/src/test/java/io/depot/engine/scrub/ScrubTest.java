package io.depot.engine.scrub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.DamagedBlock;
import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.ScrubFinding;
import io.depot.engine.ScrubReference;
import io.depot.engine.ScrubStatus;
import io.depot.engine.ScrubStatus.State;
import io.depot.engine.Snapshot;
import io.depot.engine.TestData;
import io.depot.engine.Volume;
import io.depot.engine.VolumeOwner;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scrubs of real pools (RocksDB and a data file): clean, damaged on disk, cancelled and resumed, under writers. */
class ScrubTest {
    private static final int CLUSTER = 64 * 1024;
    private static final long MiB = 1L << 20;

    @TempDir Path dir;
    private Pool pool;

    private Path poolDir() { return dir.resolve("pool"); }

    private Pool create() {
        pool = Pool.create(poolDir(), PoolOptions.ofCapacity(256 * MiB).withClusterSize(CLUSTER));
        return pool;
    }

    private Pool reopen() {
        pool.close();
        pool = Pool.open(poolDir());
        return pool;
    }

    @AfterEach
    void close() {
        if (pool != null) {
            try {
                pool.cancelScrub();
                assertEquals(List.of(), pool.verify());
            } finally {
                pool.close();
            }
        }
    }

    private ScrubStatus runToEnd(ScrubStatus started) throws InterruptedException {
        ScrubStatus s = pool.awaitScrub(Duration.ofMinutes(2));
        assertFalse(s.running(), "scrub still running: " + s);
        return s;
    }

    private long dataClusters() { return pool.usage().usedBytes() / CLUSTER; }

    @Test
    void aCleanPoolHasNoDamageAndEveryClusterIsReadOnce() throws Exception {
        create();
        Volume a = pool.createVolume("a", 8 * MiB);
        a.write(0, TestData.pattern(1, 0, (int) (4 * MiB)));
        Snapshot s = a.createSnapshot("s");
        a.write(MiB, TestData.pattern(2, MiB, (int) MiB));
        Volume c = s.linkedClone("c");
        c.write(2 * MiB, TestData.pattern(3, 2 * MiB, 256 * 1024));
        a.write(6 * MiB + 512, TestData.pattern(4, 6 * MiB + 512, 4096));   // a partial first write
        pool.flush();

        ScrubStatus done = runToEnd(pool.scrub(0));
        assertEquals(State.DONE, done.state());
        assertEquals(0, done.damagedBlocks());
        assertEquals(List.of(), done.findings());
        assertEquals(dataClusters(), done.clustersChecked(), "every allocated cluster exactly once");
        assertEquals(done.clustersChecked() * CLUSTER, done.bytesChecked());
        assertEquals(0, done.clustersUnverified());
        assertNotNull(done.ended());
        assertTrue(pool.integrity().damage().isEmpty());
        assertEquals(State.DONE, reopen().scrubStatus().state(), "the report survives a restart");
        assertEquals(done.clustersChecked(), pool.scrubStatus().clustersChecked());
    }

    /** What each tagged version of a block is read by (volume or volume@snapshot), by tag. */
    private final Map<String, Set<String>> readers = new HashMap<>();
    private final Map<String, Long> logical = new HashMap<>();

    private void written(Volume v, String name, long offset, int length) {
        v.write(offset, TaggedBlocks.payload(name, offset, length));
    }

    private void expect(String name, long offset, int length, String... by) {
        for (long o = offset; o < offset + length; o += TaggedBlocks.BLOCK) {
            readers.put(TaggedBlocks.tag(name, o), new TreeSet<>(List.of(by)));
            logical.put(TaggedBlocks.tag(name, o), o);
        }
    }

    @Test
    void everyCorruptionOfTheDataFileIsFoundWithWhatReadsIt() throws Exception {
        create();
        Volume a = pool.createVolume("a", 8 * MiB, VolumeOwner.nfsFile("ds1"));
        written(a, "a1", 0, (int) (4 * MiB));
        Snapshot s = a.createSnapshot("s");
        written(a, "a2", MiB, (int) MiB);                 // whole clusters: s keeps the a1 versions alone
        Volume c = s.linkedClone("c");
        written(c, "c1", 3 * MiB, (int) (512 * 1024));     // c's own; elsewhere c reads through a@s
        pool.flush();
        expect("a1", 0, (int) MiB, "a", "a@s", "c");
        expect("a1", MiB, (int) MiB, "a@s", "c");
        expect("a1", 2 * MiB, (int) MiB, "a", "a@s", "c");
        expect("a1", 3 * MiB, 512 * 1024, "a", "a@s");
        expect("a1", 3 * MiB + 512 * 1024, 512 * 1024, "a", "a@s", "c");
        expect("a2", MiB, (int) MiB, "a");
        expect("c1", 3 * MiB, 512 * 1024, "c");

        Path data = poolDir().resolve("data");
        Map<String, Long> where = TaggedBlocks.index(data);
        assertTrue(where.keySet().containsAll(readers.keySet()), "every written block is in the data file once");
        List<String> tags = new ArrayList<>(readers.keySet());
        Random rnd = new Random(14);
        java.util.Collections.shuffle(tags, rnd);
        Map<Long, String> damaged = new HashMap<>();   // data file offset -> tag

        // 50 with the pool closed
        pool.close();
        pool = null;
        for (String tag : tags.subList(0, 50)) {
            TaggedBlocks.corrupt(data, where.get(tag), rnd.nextBoolean(), rnd);
            damaged.put(where.get(tag), tag);
        }
        pool = Pool.open(poolDir());

        // 50 more while it is open and another volume is being written
        Volume busy = pool.createVolume("busy", 16 * MiB);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            Random w = new Random(1);
            try {
                while (!stop.get()) {
                    long off = (long) w.nextInt(16 * 16) * 64 * 1024;
                    busy.write(off, TestData.pattern(w.nextLong(), off, 64 * 1024));
                }
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        writer.start();
        try {
            for (String tag : tags.subList(50, 100)) {
                TaggedBlocks.corrupt(data, where.get(tag), rnd.nextBoolean(), rnd);
                damaged.put(where.get(tag), tag);
            }
            ScrubStatus done = runToEnd(pool.scrub(0));
            assertEquals(State.DONE, done.state());

            Map<Long, ScrubReference[]> found = new HashMap<>();
            for (ScrubFinding f : done.findings()) {
                for (long p = f.physicalOffset(); p < f.physicalOffset() + f.length(); p += TaggedBlocks.BLOCK) {
                    long delta = p - f.physicalOffset();
                    found.put(p, f.references().stream()
                            .map(r -> new ScrubReference(r.volume(), r.volumeUuid(), r.owner(), r.snapshot(), r.offset() + delta))
                            .toArray(ScrubReference[]::new));
                }
            }
            Set<Long> missed = new HashSet<>(damaged.keySet());
            missed.removeAll(found.keySet());
            assertEquals(Set.of(), missed, "corruptions the scrub missed");
            assertEquals(damaged.keySet(), found.keySet(), "the scrub reports exactly the corrupted blocks");
            assertEquals(100, done.damagedBlocks());
            for (Map.Entry<Long, String> d : damaged.entrySet()) {
                String tag = d.getValue();
                ScrubReference[] refs = found.get(d.getKey());
                Set<String> names = java.util.Arrays.stream(refs)
                        .map(r -> r.snapshot() == null ? r.volume() : r.volume() + "@" + r.snapshot())
                        .collect(Collectors.toCollection(TreeSet::new));
                assertEquals(readers.get(tag), names, "references of " + tag);
                for (ScrubReference r : refs) {
                    assertEquals(logical.get(tag), r.offset(), "offset of " + tag + " in " + r);
                    assertEquals(r.volume().equals("a") ? VolumeOwner.nfsFile("ds1") : VolumeOwner.USER, r.owner());
                    assertEquals(pool.volume(r.volume()).uuid(), r.volumeUuid());
                }
            }
            Set<Long> ledger = pool.integrity().damage().stream().map(DamagedBlock::physicalOffset).collect(Collectors.toSet());
            assertEquals(damaged.keySet(), ledger, "the damage ledger lists every damaged block");
        } finally {
            stop.set(true);
            writer.join();
        }
        assertEquals(null, failed.get());
        // the report and the ledger survive a restart
        assertEquals(100, reopen().scrubStatus().damagedBlocks());
        assertEquals(100, pool.integrity().damage().size());
        // repair: overwriting the damaged ranges clears the ledger
        pool.volume("c").delete();
        pool.volume("a").snapshot("s").delete();
        Volume a2 = pool.volume("a");
        a2.write(0, TestData.pattern(9, 0, (int) (4 * MiB)));
        assertTrue(pool.awaitReclaim(Duration.ofSeconds(30)));
        pool.flush();
        assertEquals(List.of(), pool.integrity().damage());
        assertEquals(0, runToEnd(pool.scrub(0)).damagedBlocks());
    }

    @Test
    void aCancelledScrubResumesAfterARestartWhereItStopped() throws Exception {
        create();
        Volume a = pool.createVolume("a", 64 * MiB);
        for (long o = 0; o < 48 * MiB; o += 4 * MiB) {
            a.write(o, TestData.pattern(o, o, (int) (4 * MiB)));
        }
        pool.flush();
        long clusters = dataClusters();
        pool.scrub(8 * MiB);   // about 6 s for 48 MiB
        awaitChecked(64);
        assertTrue(pool.cancelScrub());
        ScrubStatus cancelled = pool.scrubStatus();
        assertEquals(State.CANCELLED, cancelled.state());
        assertTrue(cancelled.clustersChecked() < clusters, "cancelled before the end: " + cancelled);

        ScrubStatus stored = reopen().scrubStatus();
        assertEquals(State.CANCELLED, stored.state(), "a cancelled scrub stays cancelled over a restart");
        assertEquals(cancelled.clustersChecked(), stored.clustersChecked());
        pool.resumeScrub();
        ScrubStatus done = runToEnd(null);
        assertEquals(State.DONE, done.state());
        assertEquals(clusters, done.clustersChecked(), "resumed where it stopped: every cluster once in all");
        assertEquals(cancelled.started(), done.started());
    }

    @Test
    void aScrubRunningAtCloseResumesByItselfAtOpen() throws Exception {
        create();
        Volume a = pool.createVolume("a", 64 * MiB);
        a.write(0, TestData.pattern(5, 0, (int) (32 * MiB)));
        pool.flush();
        long clusters = dataClusters();
        pool.scrub(8 * MiB);
        awaitChecked(32);
        reopen();
        ScrubStatus resumed = pool.scrubStatus();
        assertEquals(State.RUNNING, resumed.state());
        assertTrue(resumed.clustersChecked() >= 32 && resumed.clustersChecked() < clusters, resumed.toString());
        ScrubStatus done = runToEnd(null);
        assertEquals(State.DONE, done.state());
        assertEquals(clusters, done.clustersChecked());
    }

    private void awaitChecked(long clusters) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (pool.scrubStatus().clustersChecked() < clusters) {
            assertTrue(System.nanoTime() < deadline, "scrub made no progress: " + pool.scrubStatus());
            assertTrue(pool.scrubStatus().running(), "scrub ended early: " + pool.scrubStatus());
            Thread.sleep(5);   // polling for a condition with a deadline
        }
    }

    @Test
    void writersOverwritingInPlaceAndSnapshotsDuringAScrubCauseNoFalseDamage() throws Exception {
        create();
        Volume a = pool.createVolume("a", 16 * MiB);
        a.write(0, TestData.pattern(1, 0, (int) (16 * MiB)));
        pool.flush();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            int seed = t;
            threads.add(new Thread(() -> {
                Random w = new Random(seed);
                try {
                    while (!stop.get()) {
                        int len = (1 + w.nextInt(16)) * 512;
                        long off = (long) w.nextInt((int) (16 * MiB - len) / 512) * 512;
                        a.write(off, ByteBuffer.wrap(TestData.bytes(TestData.pattern(w.nextLong(), off, len))));
                    }
                } catch (Throwable e) {
                    failed.set(e);
                }
            }));
        }
        threads.forEach(Thread::start);
        try {
            for (int round = 0; round < 4; round++) {
                pool.scrub(0);
                if (round % 2 == 1) {
                    a.createSnapshot("s" + round);   // the next writes copy on write, retiring what the scrub walks
                }
                ScrubStatus s = runToEnd(null);
                assertEquals(State.DONE, s.state());
                assertEquals(0, s.damagedBlocks(), "false damage: " + s.findings());
                assertTrue(s.clustersChecked() >= 256, s.toString());
            }
        } finally {
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
        }
        assertEquals(null, failed.get());
        assertEquals(List.of(), pool.integrity().damage());
    }
}
