package io.depot.nfs.nlm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Several threads, one owner each, locking (non-blocking and blocking), cancelling and unlocking
 * overlapping and disjoint ranges of two files. After every step the table's own snapshot must
 * hold no two conflicting locks, and no owner two overlapping locks. No sleeps: the threads race.
 */
class LockTableConcurrencyTest {
    static final int THREADS = 8;
    static final int STEPS = 3_000;

    @Test
    void noTwoConflictingLocksEverHeld() throws Exception {
        ConcurrentLinkedQueue<Pending> granted = new ConcurrentLinkedQueue<>();
        LockTable table = new LockTable(granted::add);
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        AtomicInteger grantedNow = new AtomicInteger();
        AtomicInteger denied = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    run(table, new LockOwner("host" + (id % 4), id), new Random(id), violations, grantedNow, denied);
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of(), List.copyOf(violations));
        assertFalse(grantedNow.get() == 0 || denied.get() == 0, "the run had both grants and conflicts");

        // Everything released: every waiter still queued is granted, the table ends empty.
        for (int h = 0; h < 4; h++) {
            table.releaseAll("host" + h);
        }
        assertEquals(List.of(), table.locks());
        assertEquals(List.of(), table.pending());
        check(table.locks(), violations);
        assertEquals(List.of(), List.copyOf(violations));
        assertFalse(granted.isEmpty(), "some blocked requests were granted on a release");
    }

    private static void run(LockTable table, LockOwner owner, Random random, ConcurrentLinkedQueue<String> violations,
            AtomicInteger grantedNow, AtomicInteger denied) {
        for (int step = 0; step < STEPS; step++) {
            long file = random.nextInt(2);
            // Threads 0-3 share bytes 0..63 (overlapping); 4-7 also each get a private slice.
            long offset = owner.svid() < 4 || random.nextBoolean() ? random.nextInt(64) : 1000 + owner.svid() * 100L + random.nextInt(50);
            long length = random.nextInt(8) == 0 ? 0 : 1 + random.nextInt(16);
            FileLock l = new FileLock(file, owner, new LockRange(offset, length), random.nextBoolean());
            switch (random.nextInt(5)) {
                case 0, 1 -> {
                    if (table.lock(l, false) instanceof LockResult.Granted) {
                        grantedNow.incrementAndGet();
                    } else {
                        denied.incrementAndGet();
                    }
                }
                case 2 -> {
                    // Blocking: leave it queued half the time, so other threads' releases grant it.
                    if (table.lock(l, true) instanceof LockResult.Blocked b && random.nextBoolean()) {
                        table.cancel(b.pending());
                    }
                }
                case 3 -> table.unlock(file, owner, l.range());
                default -> {
                    if (random.nextInt(50) == 0) {
                        table.releaseAll(owner.host());
                    } else {
                        table.test(l);
                    }
                }
            }
            check(table.locks(), violations);
            if (violations.size() > 10) {
                return;
            }
        }
    }

    private static void check(List<FileLock> snapshot, ConcurrentLinkedQueue<String> violations) {
        for (int i = 0; i < snapshot.size(); i++) {
            for (int j = i + 1; j < snapshot.size(); j++) {
                FileLock a = snapshot.get(i);
                FileLock b = snapshot.get(j);
                if (conflict(a, b)) {
                    violations.add("conflict: " + a + " and " + b);
                }
                if (a.fileId() == b.fileId() && a.owner().equals(b.owner()) && a.range().overlaps(b.range())) {
                    violations.add("one owner's locks overlap: " + a + " and " + b);
                }
            }
        }
    }

    /** Conflict written out again, independent of {@link FileLock#conflictsWith}; the test's ranges stay below 2^63. */
    private static boolean conflict(FileLock a, FileLock b) {
        return a.fileId() == b.fileId() && !a.owner().equals(b.owner()) && (a.exclusive() || b.exclusive())
                && a.range().offset() < end(b) && b.range().offset() < end(a);
    }

    private static long end(FileLock l) {
        return l.range().length() == 0 ? Long.MAX_VALUE : l.range().offset() + l.range().length();
    }

    @Test
    void checkFindsAConflict() {
        // The checker itself must be able to fail, or the test above proves nothing.
        ConcurrentLinkedQueue<String> v = new ConcurrentLinkedQueue<>();
        LockOwner a = new LockOwner("a", 1);
        LockOwner b = new LockOwner("b", 1);
        check(List.of(FileLock.exclusive(1, a, 0, 10), FileLock.shared(1, b, 9, 1)), v);
        if (v.isEmpty()) {
            fail("checker missed a conflict");
        }
    }
}
