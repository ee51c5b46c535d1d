package io.depot.engine.core;

import io.depot.engine.ReadPlan;

/**
 * Makes {@link ReadPlan}s: the same mapping walks as the copying reads (head runs, clone origins,
 * snapshot views), recorded instead of copied, each under a reader pin taken before the walk.
 * Ranges may be of any byte alignment: the walk covers whole sectors and the plan keeps the bytes
 * asked for.
 */
public final class ReadPlanner {
    private static final int SECTOR = 512;
    private final PoolContext ctx;

    ReadPlanner(PoolContext ctx) {
        this.ctx = ctx;
    }

    /** The pool's reader pins (what tests and operators can see of the limbo). */
    public ReaderPins pins() { return ctx.pins; }

    private interface Walk {
        boolean run(long start, int length, ReadSink sink);
    }

    /** Records {@code walk} over the sectors around {@code [offset, offset + length)}; null if it declined or a run cannot be mapped. */
    private ReadPlan plan(long offset, int length, Walk walk) {
        if (offset < 0 || length < 0) {
            return null;
        }
        long start = offset & ~(long) (SECTOR - 1);
        long end = (offset + length + SECTOR - 1) & ~(long) (SECTOR - 1);
        PlanRecorder plan = new PlanRecorder(ctx.pins, ctx.blocks, offset - start, length);
        boolean done = false;
        try {
            done = walk.run(start, (int) (end - start), plan) && plan.map();
            return done ? plan : null;
        } finally {
            if (!done) {
                plan.close();
            }
        }
    }

    /** The head's bytes, as {@link VolumeState#read} would copy them; null if the data file cannot be mapped there. */
    public ReadPlan head(VolumeState v, long offset, int length) {
        return plan(offset, length, (start, n, sink) -> {
            v.read(start, n, sink);
            return true;
        });
    }

    /** As {@link #head}, but null if anything on the way would wait (see {@link NonBlockingRead}). */
    public ReadPlan tryHead(VolumeState v, long offset, int length) {
        return plan(offset, length, (start, n, sink) -> NonBlockingRead.tryRead(v, ctx, start, n, sink));
    }

    /** A snapshot's bytes, as {@link VolumeState#readSnapshot} would copy them. */
    public ReadPlan snapshot(SnapshotRef s, long offset, int length) {
        return plan(offset, length, (start, n, sink) -> {
            s.volume().views().read(s.epoch(), s.record().sizeBytes(), start, n, sink);
            return true;
        });
    }
}
