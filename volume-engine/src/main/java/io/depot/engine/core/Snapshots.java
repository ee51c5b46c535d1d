package io.depot.engine.core;

import io.depot.engine.DependentClonesException;
import io.depot.engine.InvalidIoException;
import io.depot.engine.NameInUseException;
import io.depot.engine.NoSuchSnapshotException;
import io.depot.engine.core.Records.SnapshotRecord;
import io.depot.engine.store.MetaBatch;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.roaringbitmap.RoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Taking, deleting and rolling back to snapshots. A snapshot freezes a volume's current epoch; what
 * only it can see sits on the deadlist keyed by death epoch, so deleting it costs what it frees (see
 * docs/engine.md, "Snapshots by epoch").
 */
final class Snapshots {
    private static final Logger log = LoggerFactory.getLogger(Snapshots.class);

    private final PoolContext ctx;
    private final Volumes volumes;

    Snapshots(PoolContext ctx, Volumes volumes) {
        this.ctx = ctx;
        this.volumes = volumes;
    }

    SnapshotRef named(VolumeState v, String name) {
        v.checkAlive();
        for (Map.Entry<Long, SnapshotRecord> e : v.snapshots().entrySet()) {
            if (e.getValue().name().equals(name)) {
                return new SnapshotRef(v, e.getKey(), e.getValue());
            }
        }
        throw new NoSuchSnapshotException("volume " + v.name() + " has no snapshot named '" + name + "'");
    }

    List<SnapshotRef> of(VolumeState v) {
        v.checkAlive();
        List<SnapshotRef> out = new ArrayList<>();
        v.snapshots().forEach((epoch, r) -> out.add(new SnapshotRef(v, epoch, r)));
        return out;
    }

    /**
     * Snapshots several volumes at one instant (a consistency group; one volume is a group of one).
     * Cost is independent of volume size: drain in-flight I/O, one commit, bump each epoch.
     */
    List<SnapshotRef> takeGroup(List<VolumeState> group, String name) {
        Volumes.checkName(name);
        List<VolumeState> sorted = group.stream().distinct().sorted(Comparator.comparingLong(VolumeState::id)).toList();
        ctx.lockAdmin();
        try {
            for (VolumeState v : sorted) {
                v.checkAlive();
                if (v.snapshots().values().stream().anyMatch(s -> s.name().equals(name))) {
                    throw new NameInUseException("volume " + v.name() + " already has a snapshot named '" + name + "'");
                }
            }
            UUID groupId = sorted.size() > 1 ? UUID.randomUUID() : null;
            for (VolumeState v : sorted) {
                v.drainIo();
            }
            try {
                MetaBatch batch = new MetaBatch();
                List<SnapshotRef> refs = new ArrayList<>();
                long now = System.currentTimeMillis();
                for (VolumeState v : sorted) {
                    ctx.openPages.settleVolume(v.id(), batch);   // the snapshot's readers load the head's CRCs from the store
                    long frozen = v.epoch();
                    SnapshotRecord r = new SnapshotRecord(UUID.randomUUID(), name, v.sizeBytes(), now, groupId);
                    batch.put(Keys.snapshot(v.id(), frozen), r.encode());
                    batch.put(Keys.volume(v.id()), v.record(frozen + 1).encode());
                    refs.add(new SnapshotRef(v, frozen, r));
                }
                // one group commit carries what each volume wrote before this instant and the snapshot records
                ctx.pipeline.stage(batch, null);
                ctx.pipeline.flush();
                for (SnapshotRef ref : refs) {
                    ref.volume().snapshotTaken(ref.epoch(), ref.record());
                }
                return refs;
            } finally {
                for (int i = sorted.size() - 1; i >= 0; i--) {
                    sorted.get(i).resumeIo();
                }
            }
        } finally {
            ctx.unlockAdmin();
        }
    }

    /**
     * Deletes a snapshot, freeing exactly the clusters only it could see: those on the deadlist of the
     * interval up to the next snapshot (or the head) and born after the previous snapshot.
     */
    long delete(SnapshotRef snap) {
        VolumeState v = snap.volume();
        ctx.lockAdmin();
        try {
            v.checkAlive();
            if (!v.snapshots().containsKey(snap.epoch())) {
                throw new NoSuchSnapshotException("snapshot " + snap.record().name() + " of " + v.name() + " no longer exists");
            }
            List<VolumeState> clones = volumes.dependents(v, snap.epoch());
            if (!clones.isEmpty()) {
                throw new DependentClonesException("snapshot " + v.name() + "@" + snap.record().name() + " has linked clones "
                        + clones.stream().map(VolumeState::name).toList() + "; delete or flatten them first");
            }
            v.drainIo();
            try {
                ctx.pipeline.flush();   // the deadlist entries of in-flight writes must be in the store before we scan it
                MetaBatch batch = new MetaBatch();
                RoaringBitmap frees = new RoaringBitmap();
                boolean[] completed = {false};
                uniqueToSnapshot(v, snap.epoch(), (k, value) -> {
                    batch.delete(k);
                    batch.delete(Keys.mapping(v.id(), Keys.field(k, 2), Keys.field(k, 3)));
                    if (MappingValue.isData(value)) {
                        completed[0] |= completeOverlaysOver(v, Keys.field(k, 2), Keys.field(k, 3), MappingValue.phys(value));
                        frees.add((int) MappingValue.phys(value));
                    }
                });
                if (completed[0]) {
                    // The completed overlays reach the store first, then the snapshots' cached pages go, and
                    // only then is any base freed: a reader that looked an overlay up before the drop took its
                    // reader pin first (so the base stays out of the allocator until it is done), and a reader
                    // after it loads the complete entry (clones read their origin's snapshots without its I/O lock).
                    ctx.pipeline.flush();
                    v.viewsChanged();
                }
                batch.delete(Keys.snapshot(v.id(), snap.epoch()));
                ctx.pipeline.stage(batch, frees);
                ctx.pipeline.flush();
                v.snapshotDeleted(snap.epoch());
                log.info("deleted snapshot {}@{}, freed {} clusters", v.name(), snap.record().name(), frees.getCardinality());
                return (long) frees.getCardinality() * ctx.clusterSize;
            } finally {
                v.resumeIo();
            }
        } finally {
            ctx.unlockAdmin();
        }
    }

    /**
     * Before the cluster {@code basePhys} (the data of the entry of {@code cluster} born at
     * {@code birth}) is freed: every newer entry of that cluster that is an overlay reading blocks
     * from it (the head's, or one a later snapshot keeps) first gets those blocks copied into its own
     * cluster (bytes and CRCs as they are: damage stays detectable) and becomes complete, staged
     * before the base's free. The volume's I/O is drained. True if an overlay was completed.
     */
    private boolean completeOverlaysOver(VolumeState v, long cluster, long birth, long basePhys) {
        List<byte[]> keys = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        ctx.meta.scan(Keys.mapping(v.id(), cluster, birth + 1), Keys.mapping(v.id(), cluster + 1, 0), (k, stored) -> {
            long o = MappingValue.decode(stored);
            if (MappingValue.isOverlay(o) && MappingValue.decodeBase(stored) == basePhys) {
                keys.add(k);
                values.add(stored);
            }
            return true;
        });
        for (int k = 0; k < keys.size(); k++) {
            complete(v, cluster, keys.get(k), values.get(k), basePhys);
        }
        return !keys.isEmpty();
    }

    private void complete(VolumeState v, long cluster, byte[] key, byte[] stored, long basePhys) {
        long o = MappingValue.decode(stored);
        long born = Keys.field(key, 2);
        int n = ctx.blocksPerCluster;
        v.changeSlot(cluster, (page, slot) -> {
            boolean head = page.births[slot] == born && page.values[slot] == o;
            OverlaySlot overlay = head ? OverlaySlot.of(page, slot) : OverlaySlot.of(o, stored, n);
            ByteBuffer block = BlockChecksums.scratch();
            for (int b = 0; b < n; b++) {
                if (!overlay.own(b)) {
                    block.clear();
                    ctx.readPhysical(basePhys, b << BlockChecksums.SHIFT, BlockChecksums.BLOCK, block);
                    block.flip();
                    ctx.writePhysical(MappingValue.phys(o), b << BlockChecksums.SHIFT, BlockChecksums.BLOCK, block);
                }
            }
            long complete = MappingValue.overlay(o, false);
            byte[] value;
            if (head) {
                page.values[slot] = complete;
                value = page.encode(slot);
            } else {
                value = MappingValue.encode(complete, overlay.crcs(), overlay.crcAt(), n);
            }
            return ctx.pipeline.stage(new MetaBatch().put(key, value), -1);
        });
    }

    /** Bytes that deleting this snapshot would free. Cost proportional to its deadlist. */
    long uniqueBytes(SnapshotRef snap) {
        long[] n = {0};
        uniqueToSnapshot(snap.volume(), snap.epoch(), (k, value) -> {
            if (MappingValue.isData(value)) {
                n[0]++;
            }
        });
        return n[0] * ctx.clusterSize;
    }

    private interface DeadVisitor { void visit(byte[] deadKey, long value); }

    /** Visits the deadlist entries only the snapshot at {@code epoch} sees (committed state). */
    private void uniqueToSnapshot(VolumeState v, long epoch, DeadVisitor visitor) {
        Long previous = v.snapshots().lowerKey(epoch);
        Long next = v.snapshots().higherKey(epoch);
        long prev = previous == null ? -1 : previous;
        long upTo = next == null ? Long.MAX_VALUE - 1 : next;
        ctx.meta.scan(Keys.prefix(Keys.DEAD, v.id(), epoch + 1), Keys.prefix(Keys.DEAD, v.id(), upTo + 1), (k, value) -> {
            long birth = Keys.field(k, 3);
            if (birth > prev) {
                visitor.visit(k, MappingValue.decode(value));
            }
            return true;
        });
    }

    /**
     * Rolls a volume back to a snapshot. Snapshots taken after it must be deleted first, or with
     * {@code destroyNewer} they are deleted here (like {@code zfs rollback -r}).
     */
    void rollback(SnapshotRef snap, boolean destroyNewer) {
        VolumeState v = snap.volume();
        ctx.lockAdmin();
        try {
            v.checkAlive();
            List<Long> newer = new ArrayList<>(v.snapshots().tailMap(snap.epoch(), false).keySet());
            if (!newer.isEmpty() && !destroyNewer) {
                throw new InvalidIoException("volume " + v.name() + " has " + newer.size() + " snapshot(s) newer than "
                        + snap.record().name() + "; delete them first or ask to destroy them");
            }
            for (int i = newer.size() - 1; i >= 0; i--) {
                delete(new SnapshotRef(v, newer.get(i), v.snapshots().get(newer.get(i))));
            }
            v.drainIo();
            try {
                // no settle may store a head mapping after the scan below: forget the open pages first
                MetaBatch batch = new MetaBatch();
                ctx.openPages.forgetVolume(v.id(), batch);
                ctx.pipeline.flush();
                RoaringBitmap frees = new RoaringBitmap();
                long s = snap.epoch();
                ctx.meta.scan(Keys.prefix(Keys.MAPPING, v.id()), Keys.prefixEnd(Keys.MAPPING, v.id()), (k, value) -> {
                    if (Keys.field(k, 2) > s) {   // written after the snapshot: only the head saw it
                        batch.delete(k);
                        long m = MappingValue.decode(value);
                        if (MappingValue.isData(m)) {
                            frees.add((int) MappingValue.phys(m));
                        }
                    }
                    return true;
                });
                // what died after the snapshot is the snapshot's data: alive again in the head
                ctx.meta.scan(Keys.prefix(Keys.DEAD, v.id(), s + 1), Keys.prefixEnd(Keys.DEAD, v.id()), (k, value) -> batch.delete(k) != null);
                v.resizeTo(snap.record().sizeBytes());
                batch.put(Keys.volume(v.id()), v.record().encode());
                ctx.pipeline.stage(batch, frees);
                ctx.pipeline.flush();
                ctx.cache.dropVolume(v.pages());
                v.rolledBack(countHeadClusters(v));
                log.info("rolled volume {} back to snapshot {}, freed {} clusters", v.name(), snap.record().name(), frees.getCardinality());
            } finally {
                v.resumeIo();
            }
        } finally {
            ctx.unlockAdmin();
        }
    }

    private long countHeadClusters(VolumeState v) {
        long[] state = {-1, MappingValue.NONE, 0};   // cluster, newest value, count
        ctx.meta.scan(Keys.prefix(Keys.MAPPING, v.id()), Keys.prefixEnd(Keys.MAPPING, v.id()), (k, value) -> {
            long c = Keys.field(k, 1);
            if (c != state[0] && MappingValue.isData(state[1])) {
                state[2]++;
            }
            state[0] = c;
            state[1] = MappingValue.decode(value);
            return true;
        });
        return state[2] + (MappingValue.isData(state[1]) ? 1 : 0);
    }
}
