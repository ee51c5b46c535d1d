package io.depot.engine.bench;

import java.nio.ByteBuffer;
import java.util.function.IntFunction;

/**
 * One workload measured on the engine and on the raw file, in alternating rounds so that both
 * sides see the same machine: depot, raw, raw, depot, depot, raw... (the side that goes first
 * alternates, so neither always runs right after the other's writeback).
 */
final class Comparison {
    /** How a side gets its target for a round (untimed setup) and cleans up after it (untimed). */
    interface Side {
        IoTarget prepare(int round);

        default void cleanUp(int round) {}
    }

    enum Unit {
        IOPS, MIB_PER_S;

        double of(int ops, int block, long nanos) {
            double seconds = nanos / 1e9;
            return this == IOPS ? ops / seconds : (double) ops * block / (1 << 20) / seconds;
        }

        String label() { return this == IOPS ? "IOPS" : "MiB/s"; }
    }

    /** The result of one workload: per-round rates of both sides. */
    record Result(String name, Unit unit, double[] depot, double[] raw, double targetRatio, String note) {
        double depotMedian() { return Stats.median(depot); }

        double rawMedian() { return Stats.median(raw); }

        double ratio() { return depotMedian() / rawMedian(); }
    }

    private Comparison() {}

    static Result run(String name, Unit unit, double targetRatio, String note, BenchOptions o,
                      int block, boolean write, IntFunction<long[][]> offsetsForRound, Side depot, Side raw) {
        ByteBuffer[] buffers = TimedRound.buffers(o.threads(), block, o.seed());
        int total = o.warmup() + o.rounds();
        double[] d = new double[o.rounds()];
        double[] r = new double[o.rounds()];
        for (int round = 0; round < total; round++) {
            long[][] offsets = offsetsForRound.apply(round);
            int ops = OffsetPattern.total(offsets);
            boolean depotFirst = round % 2 == 0;
            TimedRound.Timing first = once(depotFirst ? depot : raw, round, offsets, buffers, write);
            TimedRound.Timing second = once(depotFirst ? raw : depot, round, offsets, buffers, write);
            TimedRound.Timing dt = depotFirst ? first : second;
            TimedRound.Timing rt = depotFirst ? second : first;
            int m = round - o.warmup();
            if (m >= 0) {
                d[m] = unit.of(ops, block, dt.nanos());
                r[m] = unit.of(ops, block, rt.nanos());
            }
            System.err.printf("  %-34s round %d%s: depot %,.0f  raw %,.0f %s (%d ops; flush %d ms / %d ms)%n", name, round,
                    m < 0 ? " (warm-up)" : "", unit.of(ops, block, dt.nanos()), unit.of(ops, block, rt.nanos()), unit.label(), ops,
                    dt.flushNanos() / 1_000_000, rt.flushNanos() / 1_000_000);
        }
        return new Result(name, unit, d, r, targetRatio, note);
    }

    private static TimedRound.Timing once(Side side, int round, long[][] offsets, ByteBuffer[] buffers, boolean write) {
        IoTarget target = side.prepare(round);
        TimedRound.Timing t = TimedRound.timed(target, offsets, buffers, write);
        side.cleanUp(round);
        return t;
    }
}
