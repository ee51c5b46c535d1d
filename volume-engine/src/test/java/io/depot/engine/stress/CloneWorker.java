package io.depot.engine.stress;

import io.depot.engine.FlattenJob;
import io.depot.engine.NoSuchVolumeException;
import io.depot.engine.Volume;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Creates linked and full clones of verified snapshots, writes, unmaps and reads them (a clone must
 * read as its snapshot plus its own writes; the origin's later writes must never show), follows the
 * background flatten of full clones (now and then cancelling and restarting it), and deletes clones.
 * Several workers share the clones, so their writes to one clone overlap; the model allows that.
 */
final class CloneWorker extends Actor {
    CloneWorker(StressContext ctx, int actorId, int index) {
        super(ctx, actorId, "clone-worker" + index);
    }

    @Override
    void step() {
        List<CloneModel> live = new ArrayList<>(ctx.clones);
        int r = rnd.nextInt(100);
        if (live.isEmpty() || (live.size() < ctx.config.maxClones() && r < 15)) {
            create();
            return;
        }
        CloneModel c = live.get(rnd.nextInt(live.size()));
        if (r < 18) {
            delete(c);
            return;
        }
        c.lifecycle.readLock().lock();
        try {
            if (!c.deleted) {
                work(c, r);
            }
        } finally {
            c.lifecycle.readLock().unlock();
        }
    }

    void create() {
        List<SnapshotModel> snaps = new ArrayList<>(ctx.snapshots);
        if (snaps.isEmpty()) {
            seq--;   // nothing to clone yet: not an operation; wait a little (pacing) for the snapshotter
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
            return;
        }
        SnapshotModel s = snaps.get(rnd.nextInt(snaps.size()));
        boolean full = rnd.nextBoolean();
        String cloneName = "c" + ctx.nextName();
        CloneModel c;
        synchronized (s) {
            if (s.deleted) {
                return;
            }
            Volume v = ctx.stats.timed("clone create", () -> full ? s.snapshot().fullClone(cloneName) : s.snapshot().linkedClone(cloneName));
            VolumeModel m = new VolumeModel(ctx.nextVolumeId(), cloneName, v, s.volume.sizeSectors, s.volume.clusterSectors,
                    null, ctx.history, s.frozen().clone(), s.volume.name + "@" + s.name);
            c = new CloneModel(m, s, full, full ? v.flattenJob() : null);
            s.clones.add(c);
        }
        List<String> problems = problems();
        c.model.readAndCheck(c.model.whole(), c.label() + " just created", problems);   // before others can delete it
        report(problems);
        ctx.clones.add(c);
        ctx.stats.inc(full ? "full clones created" : "linked clones created");
    }

    private void work(CloneModel c, int r) {
        VolumeModel m = c.model;
        List<String> problems = problems();
        if (r < 55) {
            SectorRange range = subRange(m.whole(), 2 * m.clusterSectors + 7);
            Op op = ctx.history.begin(Op.Kind.WRITE, m, range, actorId, name, seq);
            m.volume().write(range.byteOffset(), ByteBuffer.wrap(SectorPayload.image(op)));
            ctx.history.complete(op);
            m.readAndCheck(range, c.label() + " read back after " + op, problems);
            ctx.stats.inc("clone writes");
        } else if (r < 63) {
            SectorRange range = subRange(m.whole(), 3 * m.clusterSectors);
            Op op = ctx.history.begin(Op.Kind.UNMAP, m, range, actorId, name, seq);
            m.volume().unmap(range.byteOffset(), range.byteLength());
            ctx.history.complete(op);
            m.readAndCheck(range, c.label() + " read back after " + op, problems);
            ctx.stats.inc("clone unmaps");
        } else if (r < 92) {
            m.readAndCheck(subRange(m.whole(), 4 * m.clusterSectors), c.label() + " read", problems);
        } else {
            m.readAndCheck(m.whole(), c.label() + " read whole", problems);
        }
        ctx.stats.inc("clone reads verified");
        if (c.full && !c.flattened) {
            followFlatten(c, problems);
        }
        report(problems);
    }

    /** Notices a finished flatten, or cancels and restarts a running one now and then. */
    private void followFlatten(CloneModel c, List<String> problems) {
        Volume v = c.model.volume();
        FlattenJob job = c.job;
        if (job != null && !job.isFinished() && rnd.nextInt(200) == 0) {
            job.cancel();
            awaitJob(c, job, problems);
            if (v.isLinkedClone()) {
                c.job = v.flatten();
                ctx.stats.inc("flattens cancelled and restarted");
            }
            return;
        }
        boolean over = job == null || job.isFinished() || job.isCancelled() || job.error() != null;
        if (!over) {
            return;
        }
        if (job != null && job.error() != null) {
            problems.add(c.label() + ": flatten failed: " + job.error());
        }
        if (v.isLinkedClone()) {
            if (job == null || job.isFinished()) {
                problems.add(c.label() + ": the flatten ended (job " + (job == null ? "gone" : "finished") + ") but the clone is still linked");
            }
            return;
        }
        c.flattened = true;
        ctx.stats.inc("flattens completed");
        c.model.readAndCheck(c.model.whole(), c.label() + " after its flatten completed", problems);
    }

    static void awaitJob(CloneModel c, FlattenJob job, List<String> problems) {
        try {
            if (!job.await(60, TimeUnit.SECONDS)) {
                problems.add(c.label() + ": flatten did not end within 60 s (" + job.doneClusters() + "/" + job.totalClusters() + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Deletes a clone and checks the engine forgets it. */
    void delete(CloneModel c) {
        List<String> problems = problems();
        c.lifecycle.writeLock().lock();
        try {
            if (c.deleted) {
                return;
            }
            Volume v = c.model.volume();
            // under the origin snapshot's lock, so the snapshotter never sees the engine and the model disagree
            synchronized (c.origin) {
                ctx.stats.timed("clone delete", () -> {
                    v.delete();
                    return null;
                });
                c.deleted = true;
                c.origin.clones.remove(c);
            }
            ctx.clones.remove(c);
            try {
                ctx.pool.volume(c.model.name);
                problems.add(c.label() + " is still found by name after it was deleted");
            } catch (NoSuchVolumeException expected) {
                // right
            }
            try {
                v.read(0, ByteBuffer.allocate(SectorPayload.BYTES));
                problems.add(c.label() + " can still be read through its handle after it was deleted");
            } catch (NoSuchVolumeException expected) {
                // right
            }
        } finally {
            c.lifecycle.writeLock().unlock();
        }
        report(problems);
        ctx.stats.inc("clones deleted");
    }
}
