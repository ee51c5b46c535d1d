package io.depot.engine.bench;

import io.depot.engine.FlattenJob;
import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import io.depot.engine.bench.Comparison.Result;
import io.depot.engine.bench.Comparison.Side;
import io.depot.engine.bench.Comparison.Unit;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Engine benchmark, side by side with raw positional I/O on a plain preallocated file on the same
 * disk. See {@link BenchOptions} for the arguments and bench/engine-bench.sh for the usual way to
 * run it. Progress goes to stderr, the markdown result tables to stdout.
 *
 * <p>Both sides run in the same JVM with the same threads and the same direct buffers, on data
 * that fits in the page cache: reads are served from memory on both sides, and writes reach the
 * disk only through the flush that ends every write round (counted in its time).
 */
public final class EngineBench {
    private static final int K4 = 4096;
    private static final int M1 = 1 << 20;
    private static final int SNAPSHOTS_PRESENT = 10;
    private static final String COW_4K = "4k randwrite 1st after snap (COW) [10 snaps]";
    private static final String COW_1M = "1m seqwrite 1st after snap (COW) [10 snaps]";
    private static final String STEADY_4K = "4k randwrite overwrite steady [10 snaps]";
    private static final String HEAD_READ_4K = "4k randread head [10 snaps]";
    private static final String SNAP_READ_4K = "4k randread oldest snapshot [10 snaps]";
    private static final String STEADY_1M = "1m seqwrite overwrite steady [10 snaps]";
    private static final String HEAD_READ_1M = "1m seqread head [10 snaps]";
    private static final String SNAP_READ_1M = "1m seqread oldest snapshot [10 snaps]";
    private static final List<String> WITH_SNAPSHOTS =
            List.of(COW_4K, COW_1M, STEADY_4K, HEAD_READ_4K, SNAP_READ_4K, STEADY_1M, HEAD_READ_1M, SNAP_READ_1M);

    private final BenchOptions o;
    private final Path runDir;
    private final List<Result> results = new ArrayList<>();
    private final List<SnapshotLatency.Result> latencies = new ArrayList<>();
    private final List<Result> controls = new ArrayList<>();
    private MetadataFootprint.Result footprint;
    private Pool pool;
    private FileChannel rawChannel;
    private IoTarget raw;
    private int clusterSize;
    private int volumeCounter;

    private EngineBench(BenchOptions o) {
        this.o = o;
        this.runDir = o.dir().resolve("run-" + ProcessHandle.current().pid());
    }

    public static void main(String[] args) throws Exception {
        BenchOptions o;
        try {
            o = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(BenchOptions.usage());
            System.exit(2);
            return;
        }
        new EngineBench(o).run();
    }

    private void run() throws Exception {
        long started = System.nanoTime();
        Files.createDirectories(runDir);
        System.err.printf("EngineBench: dir %s, size %d MiB, %d KiB clusters, %d threads, %d rounds (+%d warm-up), %d x 4 KiB ops per round, seed %d%n",
                runDir, o.sizeBytes() >> 20, o.clusterSize() >> 10, o.threads(), o.rounds(), o.warmup(), o.ops4k(), o.seed());
        try {
            pool = Pool.create(runDir.resolve("pool"), PoolOptions.ofCapacity(64 * o.sizeBytes()).withClusterSize(o.clusterSize()));
            clusterSize = pool.clusterSize();
            rawChannel = Scratch.preallocatedFile(runDir.resolve("raw.img"), o.sizeBytes(), o.threads(), clusterSize);
            raw = IoTarget.of(rawChannel);
            Volume plain = filledVolume("plain", o.sizeBytes());
            withoutSnapshots(plain);
            withSnapshots();
            reusedClusters();
            snapshotLatency(plain);
            fullClone(plain);
            controls.addAll(ChecksumCost.run(o, raw));
            if (o.controls()) {
                controls.addAll(FilesystemControls.run(o, runDir, raw, clusterSize));
            }
            if (o.selected(MetadataFootprint.NAME)) {
                footprint = MetadataFootprint.measure(runDir, o, 3);
            }
        } finally {
            // the tables first: whatever happens while closing, the measurements are not lost
            ResultTable.print(System.out, o, results, latencies, controls, footprint);
            System.out.printf("%nTotal benchmark time: %.0f s%n", (System.nanoTime() - started) / 1e9);
            if (rawChannel != null) {
                rawChannel.close();
            }
            if (pool != null) {
                pool.close();
            }
            if (!o.keep()) {
                Scratch.deleteTree(runDir);
            }
        }
    }

    // ---------------------------------------------------------------- workloads without snapshots

    private void withoutSnapshots(Volume plain) {
        IoTarget depot = IoTarget.of(plain);
        int distinct = Math.min(o.ops4k(), clusters());
        compare("4k randwrite overwrite", Unit.IOPS, 0.8, "in place, allocated data", K4, true,
                r -> OffsetPattern.random(o.seed() + r, o.threads(), o.ops4k(), o.sizeBytes(), K4), fixed(depot), fixed(raw));
        compare("4k randwrite first (fresh vol)", Unit.IOPS, 0.5, "allocation of clean clusters; one write per cluster", K4, true,
                r -> OffsetPattern.distinctClusters(o.seed() + r, o.threads(), distinct, o.sizeBytes(), clusterSize, K4),
                freshVolumes(pool), fixed(raw));
        compare("4k randread", Unit.IOPS, 0.8, "page cache on both sides", K4, false,
                r -> OffsetPattern.random(o.seed() + r, o.threads(), o.ops4k(), o.sizeBytes(), K4), fixed(depot), fixed(raw));
        compare("1m seqwrite overwrite", Unit.MIB_PER_S, 0.9, "one slice per thread", M1, true,
                r -> OffsetPattern.sequentialSlices(o.threads(), o.sizeBytes(), M1), fixed(depot), fixed(raw));
        compare("1m seqwrite first (fresh vol)", Unit.MIB_PER_S, 0.9, "full-cluster allocation", M1, true,
                r -> OffsetPattern.sequentialSlices(o.threads(), o.sizeBytes(), M1), freshVolumes(pool), fixed(raw));
        compare("1m seqread", Unit.MIB_PER_S, 0.9, "page cache on both sides", M1, false,
                r -> OffsetPattern.sequentialSlices(o.threads(), o.sizeBytes(), M1), fixed(depot), fixed(raw));
    }

    // ---------------------------------------------------------------- workloads with 10 snapshots

    private void withSnapshots() {
        if (!anySelected(WITH_SNAPSHOTS)) {
            return;
        }
        Volume v = filledVolume("snapped", o.sizeBytes());
        Deque<Snapshot> present = new ArrayDeque<>();
        for (int i = 0; i < SNAPSHOTS_PRESENT; i++) {
            // a little change between snapshots, so the maps hold several generations of some clusters
            TimedRound.run(IoTarget.of(v), OffsetPattern.random(o.seed() - i, o.threads(), o.ops4k() / 8, o.sizeBytes(), K4),
                    TimedRound.buffers(o.threads(), K4, i), true);
            present.add(v.createSnapshot("base-" + i));
        }
        IoTarget head = IoTarget.of(v);
        int distinct = Math.min(o.ops4k() / 2, clusters());
        // Before every round a new snapshot makes every cluster shared again; the oldest goes after it.
        Side afterSnapshot = new Side() {
            public IoTarget prepare(int round) {
                present.add(v.createSnapshot("round-" + round + "-" + (volumeCounter++)));
                return head;
            }

            public void cleanUp(int round) {
                present.removeFirst().delete();
            }
        };
        java.util.function.IntFunction<long[][]> cow4k =
                r -> OffsetPattern.distinctClusters(o.seed() + r, o.threads(), distinct, o.sizeBytes(), clusterSize, K4);
        java.util.function.IntFunction<long[][]> cow1m = r -> OffsetPattern.sequentialSlices(o.threads(), o.sizeBytes(), M1);
        compare(COW_4K, Unit.IOPS, 0.6,
                clusterSize == K4 ? "first overwrite of a shared cluster: 4 KiB write, no copy"
                        : "first overwrite of a shared cluster: " + kib(clusterSize) + " read+write", K4, true,
                cow4k, afterSnapshot, fixed(raw));
        replayControl(COW_4K, Unit.IOPS, K4, cow4k);
        compare(COW_1M, Unit.MIB_PER_S, 0.9,
                "full-cluster redirect, no copy", M1, true, cow1m, afterSnapshot, fixed(raw));
        replayControl(COW_1M, Unit.MIB_PER_S, M1, cow1m);

        // steady state: the head owns every cluster of the current epoch again
        TimedRound.run(head, OffsetPattern.sequentialSlices(o.threads(), o.sizeBytes(), M1), TimedRound.buffers(o.threads(), M1, 3), true);
        IoTarget oldest = IoTarget.of(present.peekFirst());
        compare(STEADY_4K, Unit.IOPS, 0.8, "in place after the COW", K4, true,
                r -> OffsetPattern.random(o.seed() + r, o.threads(), o.ops4k(), o.sizeBytes(), K4), fixed(head), fixed(raw));
        compare(HEAD_READ_4K, Unit.IOPS, 0.8, "", K4, false,
                r -> OffsetPattern.random(o.seed() + r, o.threads(), o.ops4k(), o.sizeBytes(), K4), diagnosed(HEAD_READ_4K, fixed(head)), diagnosedRaw(HEAD_READ_4K));
        // The read rows compare page-cache reads on both sides. The raw file is written or read by every
        // row, but the oldest snapshot's clusters were last touched by the fill, before the copy-on-write
        // rounds: on a machine short of free memory the kernel evicts them, and the rows then time disk
        // reads on the engine's side only (run 6). One untimed pass over both puts them on the same footing;
        // --cold-data reproduces the eviction, --no-prime leaves the cache as it is.
        if (o.selected(SNAP_READ_4K) || o.selected(SNAP_READ_1M)) {
            if (o.coldData()) {
                v.flush();
                Scratch.dropPageCache(runDir.resolve("pool").resolve("data"));
                System.err.println("  dropped the pool data file's pages from the page cache (--cold-data)");
            }
            if (o.prime()) {
                prime("oldest snapshot", oldest);
                prime("raw file", raw);
            }
        }
        compare(SNAP_READ_4K, Unit.IOPS, 0.8, "cached snapshot mapping pages", K4, false,
                r -> OffsetPattern.random(o.seed() + r, o.threads(), o.ops4k(), o.sizeBytes(), K4), diagnosed(SNAP_READ_4K, fixed(oldest)), diagnosedRaw(SNAP_READ_4K));
        compare(STEADY_1M, Unit.MIB_PER_S, 0.9, "", M1, true,
                r -> OffsetPattern.sequentialSlices(o.threads(), o.sizeBytes(), M1), fixed(head), fixed(raw));
        compare(HEAD_READ_1M, Unit.MIB_PER_S, 0.9, "", M1, false,
                r -> OffsetPattern.sequentialSlices(o.threads(), o.sizeBytes(), M1), diagnosed(HEAD_READ_1M, fixed(head)), diagnosedRaw(HEAD_READ_1M));
        compare(SNAP_READ_1M, Unit.MIB_PER_S, 0.9, "", M1, false,
                r -> OffsetPattern.sequentialSlices(o.threads(), o.sizeBytes(), M1), diagnosed(SNAP_READ_1M, fixed(oldest)), diagnosedRaw(SNAP_READ_1M));
    }

    // ---------------------------------------------------------------- first writes into reused clusters

    /**
     * A pool exactly as large as the volume, filled and emptied once: every free cluster is dirty
     * (may hold old bytes), so a 4 KiB first write must write the whole cluster. This is where a
     * long-lived pool ends up once its data file has grown to capacity.
     */
    private void reusedClusters() {
        String name = "4k randwrite first (reused clusters)";
        if (!o.selected(name)) {
            return;
        }
        try (Pool small = Pool.create(runDir.resolve("pool-reused"), PoolOptions.ofCapacity(o.sizeBytes()))) {
            Volume prime = small.createVolume("prime", o.sizeBytes());
            fill(prime);
            prime.delete();
            Scratch.awaitUsedAtMost(small, 0);
            int distinct = Math.min(o.ops4k(), clusters());
            compare(name, Unit.IOPS, 0.5, clusterSize == K4 ? "dirty clusters: whole-cluster writes anyway"
                            : "dirty clusters: each 4 KiB write becomes a " + kib(clusterSize) + " write", K4, true,
                    r -> OffsetPattern.distinctClusters(o.seed() + r, o.threads(), distinct, o.sizeBytes(), clusterSize, K4),
                    freshVolumes(small), fixed(raw));
        }
    }

    // ---------------------------------------------------------------- snapshot creation latency

    private void snapshotLatency(Volume plain) {
        if (!o.selected("snapshot create")) {
            return;
        }
        String gib = (o.sizeBytes() >> 20) + " MiB";
        latencies.add(SnapshotLatency.measure("snapshot create, " + gib + " vol, idle", plain, o.snapshots(), false, o.seed()));
        latencies.add(SnapshotLatency.measure("snapshot create, " + gib + " vol, 1 MiB dirty", plain, o.snapshots(), true, o.seed()));
        long usedBefore = pool.usage().usedBytes();
        // thin volumes up to the largest allowed, data spread over the whole of each: 1 MiB every 1/256th
        for (long size : new long[] {1L << 40, 64L << 40}) {
            String label = (size >> 40) + " TiB thin vol";
            Volume thin = pool.createVolume("thin-" + (size >> 40) + "t", size);
            ByteBuffer chunk = Scratch.filled(M1, 11);
            long stride = size / 256;
            SplittableRandom rnd = new SplittableRandom(o.seed());
            for (int i = 0; i < 256; i++) {
                chunk.clear();
                thin.write(i * stride + rnd.nextLong(stride / M1 - 1) * M1, chunk);
            }
            thin.flush();
            latencies.add(SnapshotLatency.measure("snapshot create, " + label + ", idle", thin, o.snapshots(), false, o.seed()));
            latencies.add(SnapshotLatency.measure("snapshot create, " + label + ", 1 MiB dirty", thin, o.snapshots(), true, o.seed()));
            thin.delete();
        }
        Scratch.awaitUsedAtMost(pool, usedBefore);
    }

    // ---------------------------------------------------------------- full clone vs cp

    /** Full clone until independent (flatten finished, flushed) vs cp of the same bytes plus fsync. */
    private void fullClone(Volume source) throws Exception {
        String name = "full clone+flatten vs cp+fsync";
        if (!o.selected(name)) {
            return;
        }
        Snapshot origin = source.createSnapshot("clone-origin");
        long allocated = source.allocatedBytes();
        long usedBefore = pool.usage().usedBytes();
        double[] d = new double[o.rounds()];
        double[] c = new double[o.rounds()];
        Path rawFile = runDir.resolve("raw.img");
        Path copy = runDir.resolve("raw-copy.img");
        for (int round = 0; round < o.warmup() + o.rounds(); round++) {
            double depotRate = 0;
            double cpRate = 0;
            for (int side = 0; side < 2; side++) {
                boolean depotTurn = (side == 0) == (round % 2 == 0);
                long t0 = System.nanoTime();
                if (depotTurn) {
                    Volume clone = origin.fullClone("full-clone-" + round);
                    FlattenJob job = clone.flattenJob();
                    if (job != null && !job.await(1, TimeUnit.HOURS)) {
                        throw new IllegalStateException("flatten did not finish in an hour");
                    }
                    if (job != null && job.error() != null) {
                        throw new IllegalStateException("flatten failed", job.error());
                    }
                    pool.flush();
                    depotRate = allocated / (double) M1 / ((System.nanoTime() - t0) / 1e9);
                    if (clone.isLinkedClone()) {
                        throw new IllegalStateException("full clone still linked after its flatten ended");
                    }
                    clone.delete();
                    Scratch.awaitUsedAtMost(pool, usedBefore);
                } else {
                    Process cp = new ProcessBuilder("cp", rawFile.toString(), copy.toString()).inheritIO().start();
                    if (cp.waitFor() != 0) {
                        throw new IllegalStateException("cp failed with status " + cp.exitValue());
                    }
                    Scratch.fsync(copy);
                    cpRate = Files.size(rawFile) / (double) M1 / ((System.nanoTime() - t0) / 1e9);
                    Files.delete(copy);
                }
            }
            int m = round - o.warmup();
            if (m >= 0) {
                d[m] = depotRate;
                c[m] = cpRate;
            }
            System.err.printf("  %-34s round %d%s: depot %,.0f  cp %,.0f MiB/s (%d MiB)%n", name, round,
                    m < 0 ? " (warm-up)" : "", depotRate, cpRate, allocated >> 20);
        }
        origin.delete();
        results.add(new Result(name, Unit.MIB_PER_S, d, c, Double.NaN,
                (allocated >> 20) + " MiB allocated; raw side is cp of the raw file"));
    }

    // ---------------------------------------------------------------- helpers

    private void compare(String name, Unit unit, double target, String note, int block, boolean write,
                         java.util.function.IntFunction<long[][]> offsets, Side depot, Side rawSide) {
        if (!o.selected(name)) {
            return;
        }
        results.add(Comparison.run(name, unit, target, note, o, block, write, offsets, depot, rawSide));
    }

    /**
     * The copy-on-write row's raw twin: the engine's data-file I/O for the same offsets replayed on
     * a file that grows round after round ({@link FreshSpaceReplay}), against the same preallocated raw
     * file. Run right after the row it mirrors, so both see the machine in the same state.
     */
    private void replayControl(String row, Unit unit, int block, java.util.function.IntFunction<long[][]> offsets) {
        if (!o.controls() || !o.selected(row)) {
            return;
        }
        String what = block < clusterSize ? "pread+pwrite of " + kib(clusterSize) + " per op"
                : block == clusterSize ? "pwrite of " + kib(clusterSize) + " per op"
                : "pwrites of " + kib(Math.max(clusterSize, 64 << 10)) + " into a reserved run";
        try (FreshSpaceReplay.GrowingFile replay = new FreshSpaceReplay.GrowingFile(runDir.resolve("replay.img"), rawChannel, clusterSize)) {
            controls.add(Comparison.run("replay of " + row.substring(0, row.indexOf(" [")) + ": " + what + ", growing file",
                    unit, Double.NaN, "engine's data-file syscalls, no engine", o, block, true, offsets, replay, fixed(raw)));
        }
    }

    static String kib(int bytes) {
        return bytes >= M1 ? (bytes >> 20) + " MiB" : (bytes >> 10) + " KiB";
    }

    private boolean anySelected(List<String> names) {
        return names.stream().anyMatch(o::selected);
    }

    /** The engine side of a row, with per-round counts of storage reads and mapping-cache work on stderr. */
    private Side diagnosed(String row, Side depot) {
        return new RoundDiagnostics(row, "engine", depot, pool);
    }

    /** The raw side of a row, with the same per-round counts (the mapping-cache ones stay 0). */
    private Side diagnosedRaw(String row) {
        return new RoundDiagnostics(row, "raw", fixed(raw), pool);
    }

    private static Side fixed(IoTarget t) {
        return round -> t;
    }

    /** A new thin volume for every round, deleted (and its space reclaimed) after it. */
    private Side freshVolumes(Pool p) {
        return new Side() {
            Volume current;
            long usedBefore;

            public IoTarget prepare(int round) {
                usedBefore = p.usage().usedBytes();
                current = p.createVolume("fresh-" + (volumeCounter++), o.sizeBytes());
                return IoTarget.of(current);
            }

            public void cleanUp(int round) {
                current.delete();
                Scratch.awaitUsedAtMost(p, usedBefore);
            }
        };
    }

    private Volume filledVolume(String name, long size) {
        Volume v = pool.createVolume(name, size);
        fill(v);
        return v;
    }

    /** Reads all of {@code t} once, untimed, and says how much of it came from storage rather than the page cache. */
    private void prime(String what, IoTarget t) {
        long before = RoundDiagnostics.storageReadBytes();
        long started = System.nanoTime();
        TimedRound.run(t, OffsetPattern.sequentialSlices(o.threads(), o.sizeBytes(), M1), TimedRound.buffers(o.threads(), M1, 6), false);
        System.err.printf("  primed the page cache with the %s: %,d MiB of %,d read from storage, %.1f s%n",
                what, (RoundDiagnostics.storageReadBytes() - before) >> 20, o.sizeBytes() >> 20, (System.nanoTime() - started) / 1e9);
    }

    private void fill(Volume v) {
        TimedRound.run(IoTarget.of(v), OffsetPattern.sequentialSlices(o.threads(), v.sizeBytes(), M1),
                TimedRound.buffers(o.threads(), M1, 5), true);
    }

    private int clusters() {
        return (int) (o.sizeBytes() / clusterSize);
    }
}
