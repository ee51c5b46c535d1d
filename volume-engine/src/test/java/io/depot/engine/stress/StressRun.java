package io.depot.engine.stress;

import io.depot.engine.PoolTuning;
import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.PoolUsage;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import io.depot.engine.core.Engine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * One stress run: the concurrent phase (writers, compare-and-write race, snapshotter, clone
 * workers), then the checks at rest: flush and scrub, every volume, snapshot and clone against the
 * model, close and reopen with nothing changed, and the space accounting once clones and snapshots
 * are gone.
 */
final class StressRun {
    /** Short commit interval so background group commits interleave with the I/O. */
    private static final PoolTuning TUNING = new PoolTuning(64L << 20, 50, true);
    private static final long JOIN_SECONDS = 120;
    private static final long RECLAIM_DEADLINE_SECONDS = 30;

    private final StressContext ctx;
    private final Path dir;
    private final List<OwnedRangeWriter> writers = new ArrayList<>();

    StressRun(StressConfig config, Path dir) {
        this.ctx = new StressContext(config);
        this.dir = dir;
    }

    private String tag() {
        return "[seed " + ctx.config.seed() + ", cluster " + (ctx.config.clusterSize() >> 10) + " KiB; replay with -Ddepot.stress.seed="
                + ctx.config.seed() + "]";
    }

    /** Runs everything; throws AssertionError with every problem found. Returns the counters. */
    Stats run() {
        System.out.println("ConcurrentStressTest " + tag() + ": " + ctx.config);
        long started = System.nanoTime();
        StressConfig cfg = ctx.config;
        ctx.pool = Pool.create(dir, new PoolOptions(cfg.clusterSize(), cfg.capacityBytes(), null), TUNING);
        try {
            concurrentPhase();
            failIfAny("during the concurrent phase");
            settle();
            failIfAny("while settling");
            Map<String, long[]> before = verifyEverything("at rest");
            failIfAny("verifying at rest");
            reopenAndCompare(before, "after reopen");
            failIfAny("after reopen");
            spaceAccounting();
            failIfAny("in the space accounting");
        } finally {
            if (ctx.pool != null) {
                ctx.pool.close();
            }
        }
        ctx.stats.add("model operations", ctx.history.operations());
        System.out.printf("ConcurrentStressTest %s passed in %.1f s:%n%s", tag(), (System.nanoTime() - started) / 1e9, ctx.stats.summary());
        return ctx.stats;
    }

    private void failIfAny(String when) {
        if (ctx.failures.any()) {
            throw new AssertionError("ConcurrentStressTest " + tag() + " found problems " + when + ":\n" + ctx.failures.summary());
        }
    }

    // ------------------------------------------------------------------ the concurrent phase

    private void concurrentPhase() {
        Layout layout = ctx.layout;
        int actorId = 0;
        List<Actor> actors = new ArrayList<>();
        for (int i = 0; i < ctx.config.volumes(); i++) {
            String volName = "vol" + i;
            Volume v = ctx.pool.createVolume(volName, layout.sizeBytes());
            VolumeModel m = new VolumeModel(ctx.nextVolumeId(), volName, v, layout.sizeSectors(), layout.clusterSectors(),
                    i == 0 ? layout.compareAndWrite() : null, ctx.history, null, null);
            ctx.volumes.add(m);
            for (int w = 0; w < ctx.config.writersPerVolume(); w++) {
                OwnedRangeWriter writer = new OwnedRangeWriter(ctx, ++actorId, m, w);
                writers.add(writer);
                actors.add(writer);
            }
        }
        actors.addAll(new CompareAndWriteRace(ctx, ctx.volumes.get(0)).actors(++actorId));
        actorId += 3;
        actors.add(new Snapshotter(ctx, ++actorId));
        for (int i = 0; i < ctx.config.cloneWorkers(); i++) {
            actors.add(new CloneWorker(ctx, ++actorId, i));
        }
        List<Thread> threads = new ArrayList<>();
        for (Actor a : actors) {
            Thread t = new Thread(a, "stress-" + a.name);
            t.setDaemon(true);
            threads.add(t);
        }
        ctx.startClock();
        threads.forEach(Thread::start);
        long deadline = System.nanoTime() + (ctx.config.seconds() + JOIN_SECONDS) * 1_000_000_000L;
        for (Thread t : threads) {
            try {
                t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
            if (t.isAlive()) {
                ctx.stop();
                ctx.failures.report(t.getName(), "did not stop within " + JOIN_SECONDS + " s of the end (deadlock or hang?); its stack:\n  "
                        + Arrays.stream(t.getStackTrace()).map(Object::toString).collect(Collectors.joining("\n  ")));
            }
        }
        ctx.stop();
    }

    // ------------------------------------------------------------------ checks at rest

    /** Lets every flatten end, flushes, and scrubs. */
    private void settle() {
        List<String> problems = new ArrayList<>();
        for (CloneModel c : ctx.clones) {
            if (c.full && c.job != null) {
                CloneWorker.awaitJob(c, c.job, problems);
                if (c.job.error() != null) {
                    problems.add(c.label() + ": flatten failed: " + c.job.error());
                }
                if (c.job.isCancelled() && c.model.volume().isLinkedClone()) {
                    c.job = c.model.volume().flatten();
                    CloneWorker.awaitJob(c, c.job, problems);
                }
            }
            if (c.full && c.model.volume().isLinkedClone()) {
                problems.add(c.label() + " is still linked after its flatten ended");
            }
        }
        ctx.pool.flush();
        List<String> scrub = ctx.pool.verify();
        scrub.forEach(p -> problems.add("pool.verify(): " + p));
        ctx.failures.reportAll("settle", problems);
    }

    /** Reads every volume, snapshot and clone whole and checks it; returns what each holds. */
    private Map<String, long[]> verifyEverything(String when) {
        List<String> problems = new ArrayList<>();
        Map<String, long[]> images = new LinkedHashMap<>();
        for (VolumeModel v : ctx.volumes) {
            long[] ids = v.readAndCheck(v.whole(), v.name + " (" + when + ")", problems);
            for (OwnedRangeWriter w : writers) {
                problems.addAll(w.check(ids, v.whole()).stream().filter(p -> p.startsWith(v.name + " ")).toList());
            }
            images.put(v.name, ids);
            Set<String> engineSnaps = v.volume().snapshots().stream().map(Snapshot::name).collect(Collectors.toCollection(TreeSet::new));
            Set<String> modelSnaps = ctx.snapshots.stream().filter(s -> s.volume == v).map(s -> s.name).collect(Collectors.toCollection(TreeSet::new));
            if (!engineSnaps.equals(modelSnaps)) {
                problems.add(v.name + " (" + when + "): the engine lists snapshots " + engineSnaps + ", the model has " + modelSnaps);
            }
        }
        for (SnapshotModel s : ctx.snapshots) {
            images.put(s.label(), s.verify(when, problems));
        }
        for (CloneModel c : ctx.clones) {
            images.put(c.model.name, c.model.readAndCheck(c.model.whole(), c.label() + " (" + when + ")", problems));
        }
        ctx.stats.add("views verified whole at rest", images.size());
        ctx.failures.reportAll("verify " + when, problems);
        return images;
    }

    /** Closes and reopens the pool: scrub clean, the same usage figures, every view holding the same data. */
    private void reopenAndCompare(Map<String, long[]> before, String when) {
        awaitSteadyUsage();
        PoolUsage usageBefore = ctx.pool.usage();
        ctx.pool.close();
        ctx.pool = null;
        ctx.pool = Pool.open(dir, TUNING);
        rebind();
        List<String> problems = new ArrayList<>();
        ctx.pool.verify().forEach(p -> problems.add("pool.verify() " + when + ": " + p));
        PoolUsage usageAfter = ctx.pool.usage();
        if (!usageAfter.equals(usageBefore)) {
            problems.add("usage " + when + " " + usageAfter + " differs from before close " + usageBefore);
        }
        ctx.failures.reportAll("reopen", problems);
        Map<String, long[]> after = verifyEverything(when);
        for (Map.Entry<String, long[]> e : before.entrySet()) {
            long[] now = after.get(e.getKey());
            if (now == null) {
                ctx.failures.report("reopen", e.getKey() + " is missing " + when);
            } else if (!Arrays.equals(now, e.getValue())) {
                int s = Arrays.mismatch(now, e.getValue());
                ctx.failures.report("reopen", e.getKey() + " changed " + when + ": sector " + s + " held op#" + e.getValue()[s]
                        + " before close, op#" + now[s] + " after");
            }
        }
        ctx.stats.inc("reopens verified");
    }

    private void rebind() {
        Pool pool = ctx.pool;
        for (VolumeModel v : ctx.volumes) {
            v.rebind(pool.volume(v.name));
        }
        for (SnapshotModel s : ctx.snapshots) {
            s.rebind(pool.volume(s.volume.name).snapshot(s.name));
        }
        for (CloneModel c : ctx.clones) {
            c.model.rebind(pool.volume(c.model.name));
        }
    }

    /** Deleted clones are reclaimed in the background: wait for it before comparing usage across a reopen. */
    private void awaitSteadyUsage() {
        try {
            if (!ctx.pool.awaitReclaim(java.time.Duration.ofSeconds(RECLAIM_DEADLINE_SECONDS))) {
                ctx.failures.report("reclaim", "background reclaim still running after " + RECLAIM_DEADLINE_SECONDS + " s at rest");
            }
            ctx.pool.flush();   // frees count as used until durable
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for reclaim", e);
        }
    }

    // ------------------------------------------------------------------ space accounting

    /**
     * Deletes every clone and snapshot; the pool must then use exactly the clusters the model says
     * the base volumes map, once the background reclaim is done (polled, with a deadline).
     */
    private void spaceAccounting() {
        CloneWorker deleter = new CloneWorker(ctx, 10_000, 99);
        for (CloneModel c : new ArrayList<>(ctx.clones)) {
            deleter.delete(c);
        }
        Snapshotter snapshotter = new Snapshotter(ctx, 10_001);
        for (SnapshotModel s : new ArrayList<>(ctx.snapshots)) {
            if (!snapshotter.delete(s)) {
                ctx.failures.report("space accounting", s.label() + " could not be deleted although its clones are gone");
            }
        }
        long cs = ctx.config.clusterSize();
        long expected = 0;
        StringBuilder breakdown = new StringBuilder();
        List<String> problems = new ArrayList<>();
        for (VolumeModel v : ctx.volumes) {
            long clusters = v.expectedAllocatedClusters();
            expected += clusters * cs;
            breakdown.append(' ').append(v.name).append('=').append(clusters);
            if (v.volume().allocatedBytes() != clusters * cs) {
                problems.add(v.name + ".allocatedBytes() is " + v.volume().allocatedBytes() / cs + " clusters, the model maps " + clusters);
            }
        }
        awaitSteadyUsage();
        long used = ctx.pool.usage().usedBytes();
        if (used != expected) {
            problems.add("after deleting every clone and snapshot and waiting " + RECLAIM_DEADLINE_SECONDS + " s for reclaim, the pool uses "
                    + used / cs + " clusters but the model maps " + expected / cs + " (" + breakdown.toString().trim() + ")"
                    + (used > expected ? ": leaked or unreclaimed clusters" : ": clusters in use were freed"));
        }
        ctx.stats.add("clusters mapped at the end (model = engine)", expected / cs);
        ctx.pool.verify().forEach(p -> problems.add("pool.verify() after deletes: " + p));
        ctx.failures.reportAll("space accounting", problems);
        if (problems.isEmpty()) {
            Map<String, long[]> before = verifyEverything("after deletes");
            reopenAndCompare(before, "after deletes and reopen");
            if (ctx.pool.usage().usedBytes() != expected) {
                ctx.failures.report("space accounting", "after reopen the pool uses " + ctx.pool.usage().usedBytes() / cs
                        + " clusters, the model maps " + expected / cs);
            }
        }
    }
}
