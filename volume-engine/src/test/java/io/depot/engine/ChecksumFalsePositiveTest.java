package io.depot.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The false-positive hunt: nothing is damaged, so no read may ever report damage. Writers overwrite
 * their own quarter of a volume in place, in part (512 bytes), across clusters and after snapshots
 * (copy-on-write), and unmap; a snapshotter takes and deletes snapshots while writes are in flight
 * and reads them; a reader reads the head through every path (read, plan, tryRead). Phases end with
 * the head compared to the writers' model and a reopen. Zero DataCorruptionException, zero damage.
 */
class ChecksumFalsePositiveTest extends PoolFixture {
    private static final long SIZE = 16 * MiB;
    private static final int WRITERS = 4;
    private static final long REGION = SIZE / WRITERS;
    private static final int PHASES = 4;
    private static final long PHASE_NANOS = TimeUnit.MILLISECONDS.toNanos(2500);

    private final Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
    private final AtomicLong reads = new AtomicLong();
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong snapshots = new AtomicLong();

    @ParameterizedTest
    @ValueSource(ints = {16384, 65536})
    void concurrentWritesSnapshotsAndReadsNeverReportDamage(int clusterSize) throws Exception {
        pool(PoolOptions.ofCapacity(1024 * MiB).withClusterSize(clusterSize));
        pool.createVolume("v", SIZE);
        byte[][] model = new byte[WRITERS][(int) REGION];
        Queue<String> live = new ArrayDeque<>();
        for (int phase = 0; phase < PHASES; phase++) {
            Volume v = pool.volume("v");
            long deadline = System.nanoTime() + PHASE_NANOS;
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int id = w;
                long seed = phase * 100L + w;
                threads.add(start("writer-" + w, () -> writer(v, id, model[id], new Random(seed), deadline)));
            }
            int p = phase;
            threads.add(start("snapshotter", () -> snapshotter(v, live, p, new Random(p), deadline)));
            threads.add(start("reader", () -> reader(v, new Random(-p), deadline)));
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(120));
                assertFalse(t.isAlive(), t.getName() + " finished");
            }
            assertNoErrors();
            assertHeadEqualsModel(v, model);
            for (String s : live) {
                TestData.read(v.snapshot(s), 0, (int) SIZE);   // every byte of every live snapshot verifies
            }
            assertEquals(0, pool.integrity().detections(), "phase " + phase);
            reopen();
            assertHeadEqualsModel(pool.volume("v"), model);
            assertEquals(List.of(), pool.integrity().damage(), "phase " + phase);
        }
        assertEquals(0, pool.integrity().detections());
        System.err.printf("false-positive hunt at %d KiB clusters: %d writes, %d reads, %d snapshots, 0 damage reports%n",
                clusterSize >> 10, writes.get(), reads.get(), snapshots.get());
        assertTrue(writes.get() > 1000 && reads.get() > 100 && snapshots.get() > 4,
                "did work: " + writes + " writes, " + reads + " reads, " + snapshots + " snapshots");
    }

    private Thread start(String name, Runnable body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                errors.add(new AssertionError(Thread.currentThread().getName() + ": " + e, e));
            }
        }, name);
        t.start();
        return t;
    }

    private void assertNoErrors() {
        if (!errors.isEmpty()) {
            AssertionError e = new AssertionError(errors.size() + " thread(s) failed, first: " + errors.peek(), errors.peek());
            errors.clear();
            throw e;
        }
    }

    private static void assertHeadEqualsModel(Volume v, byte[][] model) {
        for (int w = 0; w < WRITERS; w++) {
            assertArrayEquals(model[w], TestData.read(v, w * REGION, (int) REGION), "region " + w);
        }
    }

    /** Owns [id * REGION, +REGION): writes, partial writes, multi-cluster writes, unmaps; checks its own reads. */
    private void writer(Volume v, int id, byte[] model, Random r, long deadline) {
        long base = id * REGION;
        while (System.nanoTime() < deadline && errors.isEmpty()) {
            int op = r.nextInt(10);
            int length = switch (r.nextInt(5)) {
                case 0 -> 512;
                case 1 -> 4096;
                case 2 -> 8192 + 512;
                case 3 -> 65536;
                default -> 256 * 1024;
            };
            long at = 512L * r.nextInt((int) ((REGION - length) / 512 + 1));
            if (op < 5) {
                byte[] data = new byte[length];
                r.nextBytes(data);
                v.write(base + at, ByteBuffer.wrap(data), r.nextInt(20) == 0);
                System.arraycopy(data, 0, model, (int) at, length);
                writes.incrementAndGet();
            } else if (op < 7) {
                byte[] data = new byte[512];
                r.nextBytes(data);
                long sector = 512L * r.nextInt((int) (REGION / 512));
                v.write(base + sector, ByteBuffer.wrap(data));
                System.arraycopy(data, 0, model, (int) sector, 512);
                writes.incrementAndGet();
            } else if (op < 8) {
                v.unmap(base + at, length);
                java.util.Arrays.fill(model, (int) at, (int) at + length, (byte) 0);
                writes.incrementAndGet();
            } else {
                byte[] got = TestData.read(v, base + at, length);
                byte[] want = java.util.Arrays.copyOfRange(model, (int) at, (int) at + length);
                if (!java.util.Arrays.equals(want, got)) {
                    throw new AssertionError("region " + id + ": read at " + (base + at) + " (" + length + ") differs from the model");
                }
                reads.incrementAndGet();
            }
        }
    }

    /** Takes snapshots while writes are in flight, keeps the newest three, reads them whole. */
    private void snapshotter(Volume v, Queue<String> live, int phase, Random r, long deadline) {
        int n = 0;
        while (System.nanoTime() < deadline && errors.isEmpty()) {
            String name = "p" + phase + "-" + n++;
            v.createSnapshot(name);
            live.add(name);
            snapshots.incrementAndGet();
            if (live.size() > 3) {
                v.snapshot(live.remove()).delete();
            }
            for (String s : live) {
                Snapshot snap = v.snapshot(s);
                TestData.read(snap, 0, (int) SIZE);
                close(snap.plan(512L * r.nextInt((int) (SIZE / 512 - 128)), 65536));
                reads.incrementAndGet();
            }
        }
    }

    /** Reads anywhere on the head (contents race with the writers; only damage reports are wrong here). */
    private void reader(Volume v, Random r, long deadline) {
        while (System.nanoTime() < deadline && errors.isEmpty()) {
            int length = r.nextBoolean() ? 4096 : (int) MiB;
            long at = 512L * r.nextInt((int) ((SIZE - length) / 512 + 1));
            switch (r.nextInt(3)) {
                case 0 -> v.read(at, ByteBuffer.allocate(length));
                case 1 -> close(v.plan(at, length));
                default -> v.tryRead(at, ByteBuffer.allocateDirect(length));
            }
            reads.incrementAndGet();
        }
    }

    /** A plan may be null (a run the store cannot map: the caller copies); made without an error is what counts here. */
    private static void close(ReadPlan p) {
        if (p != null) {
            p.close();
        }
    }
}
