package io.depot.iscsi.scsi.pr;

import static io.depot.iscsi.scsi.pr.PrHarness.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.iscsi.scsi.ItNexus;
import io.depot.iscsi.scsi.ScsiResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Many nexuses at once: registrations are never lost and exactly one RESERVE wins. */
class ConcurrentReservationsTest {

    @Test
    void concurrentRegistrationsAndOneWinningReserve() throws Exception {
        PrHarness h = new PrHarness();
        PersistentReservations pr = new PersistentReservations(h.sink, null, null, 256);
        int threads = 8, perThread = 20;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CyclicBarrier start = new CyclicBarrier(threads);
        AtomicInteger reserved = new AtomicInteger();
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            futures.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < perThread; i++) {
                    ItNexus n = nexus("iqn.2000-01.test:t" + id, i, 1);
                    pr.conflicts(n, WRITE10);
                    assertGood(prout(pr, n, REGISTER, 0, 0, (id << 16) | i | 0x1000000L, 0));
                }
                ItNexus first = nexus("iqn.2000-01.test:t" + id, 0, 1);
                ScsiResult r = prout(pr, first, RESERVE, WE, (id << 16) | 0x1000000L, 0, 0);
                if (r.status() == ScsiResult.GOOD) {
                    reserved.incrementAndGet();
                } else {
                    assertConflict(r);
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertEquals(1, reserved.get(), "exactly one RESERVE wins");
        List<Long> keys = readKeys(pr, nexus("iqn.x", 1, 1));
        assertEquals(threads * perThread, keys.size());
        assertEquals(threads * perThread, new HashSet<>(keys).size());
        assertEquals(threads * perThread, generation(pr, nexus("iqn.x", 1, 1)));
        long holderKey = pr.snapshot().holder().key();
        ItNexus holder = nexus("iqn.2000-01.test:t" + ((holderKey >>> 16) & 0xff), 0, 1);
        assertFalse(pr.conflicts(holder, WRITE10));
        assertTrue(pr.conflicts(nexus("iqn.2000-01.test:t0", 5, 1), WRITE10), "only nexus 0 of a thread ever reserves");
    }
}
