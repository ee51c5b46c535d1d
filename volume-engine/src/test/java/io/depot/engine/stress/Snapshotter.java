package io.depot.engine.stress;

import io.depot.engine.DependentClonesException;
import io.depot.engine.NoSuchSnapshotException;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Takes snapshots (of one volume, or of all as a consistency group) while the writers run, verifies
 * each at once and again later, and deletes them, expecting a refusal exactly while a linked clone
 * reads through. The snapshot window is recorded so the check is exact for writes that completed
 * before the call began or began after it returned, and allows both for writes concurrent with it.
 */
final class Snapshotter extends Actor {
    Snapshotter(StressContext ctx, int actorId) {
        super(ctx, actorId, "snapshotter");
    }

    @Override
    void step() {
        ctx.stats.max("peak pool usage (clusters)", ctx.pool.usage().usedBytes() / ctx.config.clusterSize());
        int r = rnd.nextInt(100);
        if (r < 45) {
            take(List.of(ctx.volumes.get(rnd.nextInt(ctx.volumes.size()))));
        } else if (r < 60) {
            take(ctx.volumes);
        } else if (r < 85) {
            reverify();
        } else {
            deleteSomething(null);
        }
        for (VolumeModel v : ctx.volumes) {
            while (live(v).size() > ctx.config.maxSnapshotsPerVolume() && ctx.running()) {
                if (!deleteSomething(v)) {
                    break;   // every one has linked clones; the clone workers will delete them
                }
            }
        }
        // pacing only (not synchronisation): let the writers change the volumes between snapshots
        LockSupport.parkNanos((2 + rnd.nextInt(10)) * 1_000_000L);
    }

    /** Snapshots the volumes at one instant and verifies the result. */
    void take(List<VolumeModel> group) {
        boolean isGroup = group.size() > 1;
        String snapName = (isGroup ? "g" : "s") + ctx.nextName();
        List<long[]> latest = new ArrayList<>();
        for (VolumeModel v : group) {
            latest.add(v.sampleLatestCompleted(v.whole()));
        }
        long start = ctx.history.tick();
        List<Snapshot> taken = ctx.stats.timed("snapshot call", () -> isGroup
                ? ctx.pool.snapshotGroup(snapName, group.stream().map(VolumeModel::volume).toArray(Volume[]::new))
                : List.of(group.get(0).volume().createSnapshot(snapName)));
        long end = ctx.history.tick();
        List<String> problems = problems();
        for (int i = 0; i < group.size(); i++) {
            VolumeModel v = group.get(i);
            Snapshot s = taken.stream().filter(t -> t.volume().equals(v.volume())).findFirst().orElse(null);
            if (s == null) {
                problems.add("snapshot group " + snapName + " returned no snapshot for " + v.name);
                continue;
            }
            SnapshotModel m = new SnapshotModel(v, snapName, s, new ReadWindow(0, latest.get(i), start, end));
            m.verify("just taken", problems);
            ctx.snapshots.add(m);
        }
        if (isGroup && taken.stream().map(Snapshot::groupId).distinct().count() != 1) {
            problems.add("snapshot group " + snapName + " has several group ids: " + taken.stream().map(Snapshot::groupId).toList());
        }
        report(problems);
        ctx.stats.inc(isGroup ? "group snapshots taken" : "snapshots taken");
    }

    private void reverify() {
        List<SnapshotModel> all = new ArrayList<>(ctx.snapshots);
        if (all.isEmpty()) {
            return;
        }
        List<String> problems = problems();
        all.get(rnd.nextInt(all.size())).verify("read again", problems);
        report(problems);
        ctx.stats.inc("snapshot re-reads verified");
    }

    private List<SnapshotModel> live(VolumeModel v) {
        return ctx.snapshots.stream().filter(s -> s.volume == v).toList();
    }

    /** Deletes a random snapshot (of {@code only}, oldest first, if given); false if none could go. */
    private boolean deleteSomething(VolumeModel only) {
        List<SnapshotModel> candidates = only == null ? new ArrayList<>(ctx.snapshots) : live(only);
        if (candidates.isEmpty()) {
            return false;
        }
        if (only == null) {
            return delete(candidates.get(rnd.nextInt(candidates.size())));
        }
        for (SnapshotModel s : candidates) {
            if (delete(s)) {
                return true;
            }
        }
        return false;
    }

    /** Deletes a snapshot, or checks that the engine refuses because a linked clone reads through it. */
    boolean delete(SnapshotModel s) {
        List<String> problems = problems();
        synchronized (s) {
            if (s.deleted) {
                return false;
            }
            List<CloneModel> linked = s.clones.stream().filter(c -> c.model.volume().isLinkedClone()).toList();
            try {
                ctx.stats.timed("snapshot delete", () -> s.snapshot().delete());
            } catch (DependentClonesException refused) {
                if (linked.isEmpty()) {
                    problems.add(s.label() + ": delete refused with '" + refused.getMessage()
                            + "' although no clone reads through it (clones: " + s.clones.stream().map(CloneModel::label).toList() + ")");
                }
                ctx.stats.inc("snapshot deletes refused (linked clones)");
                report(problems);
                return false;
            }
            // a flatten may have finished since we looked: only a clone that is linked now was wronged
            List<CloneModel> stillLinked = s.clones.stream().filter(c -> c.model.volume().isLinkedClone()).toList();
            if (!stillLinked.isEmpty()) {
                problems.add(s.label() + " was deleted although linked clones still read through it: "
                        + stillLinked.stream().map(CloneModel::label).toList());
            }
            s.deleted = true;
        }
        ctx.snapshots.remove(s);
        try {
            s.snapshot().read(0, ByteBuffer.allocate(SectorPayload.BYTES));
            problems.add(s.label() + " can still be read after it was deleted");
        } catch (NoSuchSnapshotException expected) {
            // right
        }
        if (s.volume.volume().snapshots().stream().anyMatch(x -> x.name().equals(s.name))) {
            problems.add(s.label() + " is still listed by its volume after it was deleted");
        }
        report(problems);
        ctx.stats.inc("snapshots deleted");
        return true;
    }
}
