package io.depot.engine.bench;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.ScrubStatus;
import io.depot.engine.Volume;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Scrub throughput and what a scrub costs foreground I/O. Fills a volume, times an uncapped scrub of
 * it, then runs interleaved rounds of 4 KiB random overwrites (in place) alone and during a scrub
 * capped at {@code --cap} bytes/s, and prints the medians.
 *
 * <p>Usage: {@code ScrubBench [--dir DIR] [--size BYTES] [--cap BYTES] [--rounds N] [--seconds S] [--threads T]}.
 */
public final class ScrubBench {
    private ScrubBench() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of("bench/out/scrub");
        long size = 1L << 30;
        long cap = ScrubStatus.DEFAULT_BANDWIDTH;
        int rounds = 3;
        int seconds = 3;
        int threads = 2;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dir" -> dir = Path.of(args[++i]);
                case "--size" -> size = Long.parseLong(args[++i]);
                case "--cap" -> cap = Long.parseLong(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Path poolDir = dir.resolve("pool-" + System.nanoTime());
        Files.createDirectories(dir);
        try (Pool pool = Pool.create(poolDir, PoolOptions.ofCapacity(size * 2))) {
            Volume v = pool.createVolume("bench", size);
            ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
            ThreadLocalRandom.current().ints(chunk.capacity() / 4).forEach(x -> chunk.putInt(x));
            for (long o = 0; o < size; o += chunk.capacity()) {
                v.write(o, chunk.clear());
            }
            pool.flush();

            List<Double> scrubMiBs = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                long t0 = System.nanoTime();
                pool.scrub(0);
                ScrubStatus s = pool.awaitScrub(Duration.ofMinutes(10));
                double secs = (System.nanoTime() - t0) / 1e9;
                scrubMiBs.add(s.bytesChecked() / secs / (1 << 20));
            }
            System.out.printf("scrub, uncapped, %d MiB volume (page cache warm): median %.0f MiB/s %s%n", size >> 20, median(scrubMiBs), scrubMiBs);

            List<Double> alone = new ArrayList<>();
            List<Double> during = new ArrayList<>();
            List<Double> scrubRate = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                alone.add(writeRound(v, size, seconds, threads));
                pool.scrub(cap);
                long before = pool.scrubStatus().bytesChecked();
                long t0 = System.nanoTime();
                during.add(writeRound(v, size, seconds, threads));
                scrubRate.add((pool.scrubStatus().bytesChecked() - before) / ((System.nanoTime() - t0) / 1e9) / (1 << 20));
                pool.cancelScrub();
            }
            System.out.printf("4 KiB random overwrites, %d threads: alone median %.0f IOPS %s; during a scrub capped at %d MiB/s "
                    + "median %.0f IOPS %s = %.1f%%; the scrub read %.0f MiB/s meanwhile%n", threads, median(alone), alone, cap >> 20,
                    median(during), during, 100 * median(during) / median(alone), median(scrubRate));
        } finally {
            try (var files = Files.walk(poolDir)) {
                files.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static double writeRound(Volume v, long size, int seconds, int threads) throws InterruptedException {
        LongAdder ops = new LongAdder();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            ts.add(Thread.ofPlatform().start(() -> {
                ByteBuffer b = ByteBuffer.allocateDirect(4096);
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                while (!stop.get()) {
                    b.clear().putLong(0, rnd.nextLong());
                    v.write((rnd.nextLong(size / 4096)) * 4096, b);
                    ops.increment();
                }
            }));
        }
        long t0 = System.nanoTime();
        Thread.sleep(seconds * 1000L);   // the round's length: a measurement window, not synchronisation
        stop.set(true);
        for (Thread t : ts) {
            t.join();
        }
        return ops.sum() / ((System.nanoTime() - t0) / 1e9);
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }
}
