package io.depot.nfs.nlm;

import static io.depot.nfs.nlm.NlmServer.fh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Many hosts fighting for one file's exclusive lock with blocking requests, each over its own
 * connection: every BLOCKED is followed by a GRANTED callback (no grant lost), and no two hosts
 * are ever inside at once.
 */
class NlmConcurrencyTest {
    static final byte[] DISK = fh(99);
    static final int HOSTS = 8;
    static final int ROUNDS = 25;

    @Test
    void blockingLockersNeverOverlapAndEveryWaiterIsGranted() throws Exception {
        try (CallbackHost host = new CallbackHost(); NlmServer server = new NlmServer(host.settings())) {
            host.server = server.address;
            AtomicInteger inside = new AtomicInteger();
            AtomicInteger overlaps = new AtomicInteger();
            AtomicInteger entries = new AtomicInteger();
            AtomicInteger blocked = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(HOSTS);
            List<Future<?>> done = new ArrayList<>();
            for (int h = 0; h < HOSTS; h++) {
                String name = "host" + h;
                int svid = 100 + h;
                done.add(pool.submit(() -> {
                    try (NlmClient c = server.client(Nlm.VERSION_4, name)) {
                        for (int round = 0; round < ROUNDS; round++) {
                            NlmStatus s = c.lock(DISK, svid, 0, 0, true, true);
                            if (s == NlmStatus.BLOCKED) {
                                blocked.incrementAndGet();
                                if (!host.grants(name).tryAcquire(20, TimeUnit.SECONDS)) {
                                    throw new AssertionError(name + " was never granted its blocked lock");
                                }
                            } else {
                                assertEquals(NlmStatus.GRANTED, s);
                            }
                            if (inside.incrementAndGet() != 1) {
                                overlaps.incrementAndGet();
                            }
                            entries.incrementAndGet();
                            inside.decrementAndGet();
                            assertEquals(NlmStatus.GRANTED, c.unlock(DISK, svid, 0, 0));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
            pool.shutdown();
            assertEquals(0, overlaps.get(), "two exclusive holders at once");
            assertEquals(HOSTS * ROUNDS, entries.get());
            assertTrue(blocked.get() > 0, "the hosts did contend");
            assertEquals(0, server.nlm.lockCount());
            assertEquals(0, server.nlm.waiting().size());
        }
    }
}
