package io.depot.engine.bench;

import java.util.SplittableRandom;

/**
 * The offsets each thread visits in one round, as {@code offsets[thread][i]}. The engine and the raw
 * file get the very same arrays in a round, so both sides do identical work.
 */
final class OffsetPattern {
    private OffsetPattern() {}

    /** {@code ops} uniformly random block-aligned offsets in [0, size), spread over the threads. */
    static long[][] random(long seed, int threads, int ops, long size, int block) {
        SplittableRandom rnd = new SplittableRandom(seed);
        long blocks = size / block;
        long[][] out = split(threads, ops);
        for (long[] perThread : out) {
            for (int i = 0; i < perThread.length; i++) {
                perThread[i] = rnd.nextLong(blocks) * block;
            }
        }
        return out;
    }

    /**
     * {@code ops} random blocks, each in a different cluster (so on the engine every one is the first
     * touch of its cluster: an allocation on a fresh volume, a copy-on-write after a snapshot).
     */
    static long[][] distinctClusters(long seed, int threads, int ops, long size, int clusterSize, int block) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int clusters = (int) (size / clusterSize);
        if (ops > clusters) {
            throw new IllegalArgumentException(ops + " distinct clusters wanted but the volume has " + clusters);
        }
        int[] order = new int[clusters];
        for (int i = 0; i < clusters; i++) {
            order[i] = i;
        }
        for (int i = 0; i < ops; i++) {   // partial Fisher-Yates: the first ops slots are a random sample
            int j = i + rnd.nextInt(clusters - i);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        long[][] out = split(threads, ops);
        int next = 0;
        int blocksPerCluster = clusterSize / block;
        for (long[] perThread : out) {
            for (int i = 0; i < perThread.length; i++) {
                perThread[i] = (long) order[next++] * clusterSize + (long) rnd.nextInt(blocksPerCluster) * block;
            }
        }
        return out;
    }

    /** The range cut into one contiguous slice per thread, each walked in ascending {@code block} steps. */
    static long[][] sequentialSlices(int threads, long size, int block) {
        long blocks = size / block;
        long[][] out = new long[threads][];
        long first = 0;
        for (int t = 0; t < threads; t++) {
            long count = blocks / threads + (t < blocks % threads ? 1 : 0);
            out[t] = new long[(int) count];
            for (int i = 0; i < count; i++) {
                out[t][i] = (first + i) * block;
            }
            first += count;
        }
        return out;
    }

    static int total(long[][] offsets) {
        int n = 0;
        for (long[] o : offsets) {
            n += o.length;
        }
        return n;
    }

    private static long[][] split(int threads, int ops) {
        long[][] out = new long[threads][];
        for (int t = 0; t < threads; t++) {
            out[t] = new long[ops / threads + (t < ops % threads ? 1 : 0)];
        }
        return out;
    }
}
