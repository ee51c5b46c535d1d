package io.depot.engine.crash;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.depot.engine.Pool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real kill -9 crashes of the engine on real RocksDB and a real data file. Each iteration starts a
 * {@link CrashWorker} JVM on the same pool, lets it run, SIGKILLs it at a random point, then reopens
 * the pool here and checks it against the journals ({@link CrashModel}): the scrub finds nothing,
 * every sector holds its last durable write or a later one, never-written space reads zeros, and
 * every snapshot reads exactly what it captured. Crashes accumulate: the next worker continues on
 * the pool the last one left.
 *
 * <p>Iterations: {@code -Ddepot.crash.iterations} (20 in CI, 500 with {@code -Pcrash-soak}).
 * Seed: {@code -Ddepot.crash.seed} replays the same choices (thread interleaving still varies).
 * A failed run's pool and journals are kept under {@code target/crash-failures/}.
 */
class KillNineCrashTest {
    private static final int WORKER_THREADS = 4;
    /** Upper bound of the random run time after the worker reports progress: chooses the crash point. */
    private static final int MAX_KILL_DELAY_MILLIS = 1200;

    @TempDir Path dir;

    @Test
    void poolSurvivesRepeatedKillNine() throws Exception {
        int iterations = Integer.getInteger("depot.crash.iterations", 20);
        long seed = Long.getLong("depot.crash.seed", System.nanoTime());
        Random rnd = new Random(seed);
        Path nativeDir = CrashWorkerProcess.extractRocksLibrary(dir.resolve("native"));
        CrashModel model = new CrashModel();
        long nextId = 1;
        long totalOps = 0;
        long started = System.nanoTime();
        System.out.println("KillNineCrashTest: seed " + seed + ", " + iterations + " iterations (replay with -Ddepot.crash.seed=" + seed + ")");
        for (int it = 0; it < iterations; it++) {
            long workerSeed = rnd.nextLong();
            // a quarter of the kills land right after the first progress, the rest anywhere in the window
            int delay = rnd.nextInt(4) == 0 ? rnd.nextInt(50) : rnd.nextInt(MAX_KILL_DELAY_MILLIS);
            String context = "seed " + seed + ", iteration " + it + ", worker seed " + workerSeed + ", kill after +" + delay + " ms";
            Journal journal;
            long iterationStart = System.nanoTime();
            try {
                journal = crashAndCheck(it, workerSeed, delay, nextId, model, nativeDir, context);
            } catch (Exception | Error e) {
                if (e instanceof org.opentest4j.AssertionFailedError) {
                    throw e;
                }
                java.io.StringWriter trace = new java.io.StringWriter();
                e.printStackTrace(new java.io.PrintWriter(trace));
                failKeeping(context, "unexpected " + trace);
                return;
            }
            totalOps += journal.ops().size();
            nextId = Math.max(nextId, journal.maxId + 1);
            System.out.printf("iteration %d: %d ops (%d of %d completions durable), %d snapshots live, killed after +%d ms, %d ms in all%n",
                    it, journal.ops().size(), journal.durableCount, journal.completionOrder.size(), model.liveSnapshots(), delay,
                    (System.nanoTime() - iterationStart) / 1_000_000);
        }
        System.out.printf("KillNineCrashTest: %d iterations, %d operations verified, %.1f s%n",
                iterations, totalOps, (System.nanoTime() - started) / 1e9);
        assertTrue(totalOps > 0, "the workers issued no operations");
    }

    /** One iteration: run a worker on the pool, SIGKILL it after {@code delay} ms of progress, check the pool. */
    private Journal crashAndCheck(int it, long workerSeed, int delay, long firstId, CrashModel model, Path nativeDir, String context)
            throws Exception {
        Path poolDir = dir.resolve("pool");
        Path journalPath = dir.resolve("journal-" + it + ".log");
        CrashWorkerProcess worker = CrashWorkerProcess.start(poolDir, journalPath, workerSeed, firstId, it, WORKER_THREADS,
                dir.resolve("worker-" + it + ".err"), nativeDir);
        if (!worker.awaitProgress(90, TimeUnit.SECONDS)) {
            boolean alive = worker.isAlive();
            worker.killNine();
            failKeeping(context, "the worker " + (alive ? "made no progress" : "exited with " + worker.exitCode())
                    + " before reporting progress:\n" + worker.output());
        }
        Thread.sleep(delay);   // not synchronisation: the delay picks where the crash lands
        if (!worker.isAlive()) {
            failKeeping(context, "the worker died by itself (exit " + worker.exitCode() + "):\n" + worker.output());
        }
        worker.killNine();

        Journal journal = Journal.read(journalPath);
        CrashModel.RunExpectation expectation = model.expect(journal);
        try (Pool pool = Pool.open(poolDir)) {
            List<String> scrub = pool.verify();
            if (!scrub.isEmpty()) {
                failKeeping(context, "pool.verify() after the crash found:\n  " + String.join("\n  ", scrub));
            }
            List<String> problems = model.check(pool, expectation);
            if (!problems.isEmpty()) {
                failKeeping(context, "content after the crash is wrong (" + journal.lines + " journal lines, "
                        + journal.durableCount + " of " + journal.completionOrder.size() + " completions durable):\n  "
                        + String.join("\n  ", problems));
            }
        }
        return journal;
    }

    /** Fails with the context, keeping the pool and journals for a post-mortem. */
    private void failKeeping(String context, String message) {
        Path keep = Path.of("target", "crash-failures", "run-" + System.currentTimeMillis());
        String kept;
        try {
            copyTree(dir, keep);
            kept = "pool and journals kept in " + keep.toAbsolutePath();
        } catch (IOException e) {
            kept = "could not keep the pool: " + e;
        }
        fail(context + ": " + message + "\n(" + kept + ")");
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
