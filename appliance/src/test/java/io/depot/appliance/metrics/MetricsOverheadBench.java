package io.depot.appliance.metrics;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.Volume;
import io.depot.engine.VolumeIoObserver;
import io.depot.engine.VolumeIoObservers;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;

/**
 * What the per-volume metrics cost on the engine's hot path (bench/metrics-overhead.sh): 4 KiB
 * random reads and in-place overwrites of a prewritten range (page-cache hot, so the engine's own
 * time is as small as it gets and the observer's share as large), timed with the observer off
 * ({@link VolumeIoObservers#NONE}) and with the Micrometer meters, in interleaved rounds (ABBA),
 * medians of the thread's CPU time reported; then the observer call alone and what it allocates.
 *
 * <p>Arguments: [dir] [rounds] [ops per round]; defaults bench/out/metrics-scratch, 9, 200000.
 */
public final class MetricsOverheadBench {
    private static final int BLOCK = 4096;
    private static final long RANGE = 64L << 20;

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "bench/out/metrics-scratch").resolve("pool-" + ProcessHandle.current().pid());
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 9;
        int ops = args.length > 2 ? Integer.parseInt(args[2]) : 200_000;
        Files.createDirectories(dir.getParent());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        VolumeIoMeters meters = new VolumeIoMeters(registry);
        try (Pool pool = Pool.create(dir, PoolOptions.ofCapacity(1L << 30))) {
            Volume v = pool.createVolume("bench", 256L << 20);
            ByteBuffer big = ByteBuffer.allocateDirect(1 << 20);
            for (long off = 0; off < RANGE; off += big.capacity()) {
                v.write(off, big.clear());
            }
            v.flush();
            long[] offsets = new Random(42).longs(ops, 0, RANGE / BLOCK).map(b -> b * BLOCK).toArray();
            ByteBuffer buf = ByteBuffer.allocateDirect(BLOCK);
            double[][] read = new double[2][rounds];
            double[][] write = new double[2][rounds];
            run(v, offsets, buf, true); // warm-up, both paths
            run(v, offsets, buf, false);
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < 2; k++) {
                    int mode = (r + k) % 2; // ABBA: neither mode always goes first
                    pool.observeIo(mode == 0 ? VolumeIoObservers.NONE : meters);
                    read[mode][r] = run(v, offsets, buf, true);
                    write[mode][r] = run(v, offsets, buf, false);
                }
            }
            pool.observeIo(VolumeIoObservers.NONE);
            System.out.printf("| path | observer off (CPU ns/op) | Micrometer (CPU ns/op) | added |%n|---|---|---|---|%n");
            row("4 KiB read", read);
            row("4 KiB overwrite", write);
            VolumeIoObserver alone = meters.open("alone", io.depot.engine.VolumeOwner.USER);
            var threads = (com.sun.management.ThreadMXBean) THREADS;
            int calls = 10_000_000;
            for (int i = 0; i < calls; i++) { // warm-up
                alone.read(BLOCK, 1000 + (i & 1023));
            }
            long allocated = threads.getCurrentThreadAllocatedBytes();
            long t = THREADS.getCurrentThreadCpuTime();
            for (int i = 0; i < calls; i++) {
                alone.read(BLOCK, 1000 + (i & 1023));
            }
            long ns = THREADS.getCurrentThreadCpuTime() - t;
            allocated = threads.getCurrentThreadAllocatedBytes() - allocated;
            System.out.printf("%nobserver call alone (timer + byte counter): %.1f ns, %.3f bytes allocated per call%n",
                    (double) ns / calls, (double) allocated / calls);
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    /**
     * CPU ns per op of one pass over the offsets: the thread's CPU time (user + system), not wall
     * time, so that other processes on a shared machine do not count (their cache pollution still does).
     */
    private static double run(Volume v, long[] offsets, ByteBuffer buf, boolean read) {
        long t = THREADS.getCurrentThreadCpuTime();
        for (long off : offsets) {
            buf.clear();
            if (read) {
                v.read(off, buf);
            } else {
                v.write(off, buf);
            }
        }
        return (double) (THREADS.getCurrentThreadCpuTime() - t) / offsets.length;
    }

    private static void row(String name, double[][] ns) {
        double off = median(ns[0]);
        double on = median(ns[1]);
        System.out.printf("| %s | %.0f | %.0f | %+.0f ns (%+.1f%%) |%n", name, off, on, on - off, 100 * (on - off) / off);
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
