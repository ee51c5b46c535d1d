package io.depot.engine.bench;

import java.util.Arrays;

/** Order statistics of a small sample. */
final class Stats {
    private Stats() {}

    static double median(double[] xs) {
        return percentile(xs, 50);
    }

    /** Nearest-rank percentile: with 50 samples, p99 is the largest. */
    static double percentile(double[] xs, double p) {
        if (xs.length == 0) {
            return Double.NaN;
        }
        double[] s = xs.clone();
        Arrays.sort(s);
        if (p == 50 && s.length % 2 == 0) {
            return (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        }
        int rank = (int) Math.ceil(p / 100.0 * s.length);
        return s[Math.max(0, Math.min(s.length - 1, rank - 1))];
    }

    static double min(double[] xs) {
        return Arrays.stream(xs).min().orElse(Double.NaN);
    }

    static double max(double[] xs) {
        return Arrays.stream(xs).max().orElse(Double.NaN);
    }
}
