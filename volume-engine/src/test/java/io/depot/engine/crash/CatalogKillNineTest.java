package io.depot.engine.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.CatalogCodec;
import io.depot.engine.Pool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real kill -9 crashes of a process staging catalog changes ({@link CatalogCrashWorker}), on real
 * RocksDB and a real data file: after each, every change the engine reported durable is present,
 * and what is present is a prefix of the staged order. Crashes accumulate on one pool.
 * Iterations: {@code -Ddepot.catalog.crash.iterations} (3 by default).
 */
class CatalogKillNineTest {
    @TempDir Path dir;

    @Test
    void everyChangeReportedDurableSurvivesAndAPrefixIsKept() throws Exception {
        int iterations = Integer.getInteger("depot.catalog.crash.iterations", 3);
        Random rnd = new Random();
        Path nativeDir = CrashWorkerProcess.extractRocksLibrary(dir.resolve("native"));
        Path poolDir = dir.resolve("pool");
        long kept = 0;
        for (int it = 0; it < iterations; it++) {
            Path journal = dir.resolve("journal-" + it);
            CrashWorkerProcess worker = CrashWorkerProcess.start(CatalogCrashWorker.class,
                    List.of(poolDir.toString(), journal.toString(), "6"), dir.resolve("worker-" + it + ".err"), nativeDir);
            assertTrue(worker.awaitProgress(90, TimeUnit.SECONDS), "no progress:\n" + worker.output());
            Thread.sleep(rnd.nextInt(300));   // not synchronisation: the delay picks where the crash lands
            assertTrue(worker.isAlive(), "the worker died by itself:\n" + worker.output());
            worker.killNine();

            long reportedDurable = Files.readAllLines(journal).stream()
                    .filter(l -> l.matches("D \\d+"))   // a line cut short by the kill only claims less
                    .mapToLong(l -> Long.parseLong(l.substring(2).trim()))
                    .max().orElse(-1);
            try (Pool pool = Pool.open(poolDir)) {
                Map<String, String> present = pool.catalog().namespace(CatalogCrashWorker.NAMESPACE, CatalogCodec.UTF8).list("");
                long i = 0;
                for (Map.Entry<String, String> e : present.entrySet()) {   // in key order, which is staging order
                    assertEquals(CatalogCrashWorker.key(i), e.getKey(), "what a crash kept is not a prefix of the staged order");
                    assertEquals(Long.toString(i), e.getValue());
                    i++;
                }
                assertTrue(reportedDurable < present.size(), "change " + reportedDurable + " was reported durable, but only "
                        + present.size() + " changes are present after the crash (iteration " + it + ")");
                assertTrue(present.size() >= kept, "an earlier crash's kept changes are gone");
                kept = present.size();
                System.out.printf("iteration %d: %d changes present, up to %d reported durable%n", it, kept, reportedDurable);
                assertEquals(List.of(), pool.verify());
            }
        }
        assertTrue(kept > 0, "no change survived");
    }
}
