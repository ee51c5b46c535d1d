package io.depot.engine.bench;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Command-line settings of {@link EngineBench}.
 *
 * @param dir        scratch directory on the disk under test; the pools and the raw file go there
 * @param rounds     measured rounds per side and workload (interleaved with the other side)
 * @param warmup     unmeasured rounds per side before the measured ones (JIT, page cache)
 * @param threads    I/O threads, the same for the engine and the raw file
 * @param sizeBytes  working set: the volume size and the raw file size
 * @param ops4k      4 KiB operations per round (all threads together)
 * @param snapshots  how many snapshots the snapshot-creation latency series takes per case
 * @param seed       base seed of the random offsets; round r of a workload uses seed + r
 * @param only       runs only workloads whose name matches (null: all)
 * @param keep       leaves the scratch files in place after the run
 * @param controls   also runs the raw-file-only controls of {@link FilesystemControls} and, next to the
 *                   copy-on-write rows, their replays of {@link FreshSpaceReplay}
 * @param clusterSize cluster size of the benchmark pools (a power of two, 4 KiB to 1 MiB)
 * @param coldData   before the oldest-snapshot rows, drops the pool data file's pages from the page cache:
 *                   what memory pressure did to the snapshot's clusters in run 6
 * @param prime      before the oldest-snapshot rows, reads the snapshot and the raw file once, untimed
 *                   (default; --no-prime leaves the page cache as the earlier rows left it)
 */
record BenchOptions(Path dir, int rounds, int warmup, int threads, long sizeBytes, int ops4k, int snapshots,
                    long seed, Pattern only, boolean keep, boolean controls, int clusterSize, boolean coldData, boolean prime) {

    static BenchOptions parse(String[] args) {
        Path dir = Path.of("bench/out/scratch");
        int rounds = 5;
        int warmup = 1;
        int threads = 4;
        long size = 1L << 30;
        int ops = 32768;
        int snapshots = 50;
        long seed = 42;
        Pattern only = null;
        boolean keep = false;
        boolean controls = false;
        long clusterSize = 64 << 10;
        boolean coldData = false;
        boolean prime = true;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--dir" -> dir = Path.of(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--size" -> size = parseBytes(args[++i]);
                case "--ops" -> ops = Integer.parseInt(args[++i]);
                case "--snapshots" -> snapshots = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--only" -> only = Pattern.compile(args[++i]);
                case "--keep" -> keep = true;
                case "--controls" -> controls = true;
                case "--cluster-size" -> clusterSize = parseBytes(args[++i]);
                case "--cold-data" -> coldData = true;
                case "--no-prime" -> prime = false;
                default -> throw new IllegalArgumentException("unknown argument " + a + "\n" + usage());
            }
        }
        if (size % (1 << 20) != 0 || size < (16L << 20)) {
            throw new IllegalArgumentException("--size must be a whole number of MiB, at least 16m");
        }
        if (rounds < 1 || threads < 1 || ops < threads) {
            throw new IllegalArgumentException("need rounds >= 1, threads >= 1 and ops >= threads");
        }
        if (clusterSize < 4096 || clusterSize > (1 << 20) || Long.bitCount(clusterSize) != 1) {
            throw new IllegalArgumentException("--cluster-size must be a power of two from 4k to 1m");
        }
        if (size % clusterSize != 0) {
            throw new IllegalArgumentException("--size must be a multiple of --cluster-size");
        }
        return new BenchOptions(dir, rounds, warmup, threads, size, ops, snapshots, seed, only, keep, controls, (int) clusterSize, coldData, prime);
    }

    static String usage() {
        return "usage: EngineBench [--dir DIR] [--rounds 5] [--warmup 1] [--threads 4] [--size 1g] [--ops 32768]"
                + " [--snapshots 50] [--seed 42] [--only REGEX] [--keep] [--controls]"
                + " [--cluster-size 64k] [--cold-data] [--no-prime]";
    }

    /** "1g", "512m", "4096k" or plain bytes. */
    static long parseBytes(String s) {
        String t = s.trim().toLowerCase();
        long unit = switch (t.charAt(t.length() - 1)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            case 't' -> 1L << 40;
            default -> 1;
        };
        return Long.parseLong(unit == 1 ? t : t.substring(0, t.length() - 1)) * unit;
    }

    boolean selected(String workload) {
        return only == null || only.matcher(workload).find();
    }
}
