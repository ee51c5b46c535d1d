package io.depot.engine.stress;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A thread of the stress run: repeats {@link #step} until the run stops, reporting what it finds. */
abstract class Actor implements Runnable {
    final StressContext ctx;
    final int actorId;
    final String name;
    final Random rnd;
    long seq;

    Actor(StressContext ctx, int actorId, String name) {
        this.ctx = ctx;
        this.actorId = actorId;
        this.name = name;
        this.rnd = ctx.random(actorId);
    }

    abstract void step();

    @Override
    public void run() {
        try {
            while (ctx.running() && seq < ctx.config.maxOpsPerActor()) {
                seq++;
                step();
            }
        } catch (Throwable t) {
            ctx.failures.unexpected(name + " at step " + seq, t);
        }
    }

    /** Reports what a check found, if anything. */
    void report(List<String> problems) {
        if (!problems.isEmpty()) {
            ctx.failures.reportAll(name, problems);
        }
    }

    static List<String> problems() { return new ArrayList<>(); }

    /** A random sub-range of {@code r}: sometimes all of it, at most {@code maxCount} sectors. */
    SectorRange subRange(SectorRange r, int maxCount) {
        if (rnd.nextInt(5) == 0 && r.count() <= maxCount) {
            return r;
        }
        int count = 1 + rnd.nextInt(Math.min(r.count(), maxCount));
        long first = r.first() + rnd.nextInt(r.count() - count + 1);
        return new SectorRange(first, count);
    }
}
