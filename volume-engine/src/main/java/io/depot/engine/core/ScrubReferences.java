package io.depot.engine.core;

import io.depot.engine.ScrubReference;
import io.depot.engine.core.Records.SnapshotRecord;
import io.depot.engine.store.MetadataStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Everything that reads a mapping entry {@code M vol cluster birth} a scrub found damaged: the
 * volume's head if it still maps it, every snapshot whose epoch lies in {@code [birth, death)} (death
 * from the entry's deadlist key; none while the head maps it), and every linked clone, at any depth,
 * that reads through one of those snapshots for that cluster (it has no mapping of its own there).
 * Only called when damage is found, so it may read the store freely.
 */
final class ScrubReferences {
    private final PoolContext ctx;
    private final Volumes volumes;

    ScrubReferences(PoolContext ctx, Volumes volumes) {
        this.ctx = ctx;
        this.volumes = volumes;
    }

    /** True if the head of {@code vs} maps {@code cluster} to physical cluster {@code phys} now. */
    boolean headMaps(VolumeState vs, long cluster, long phys) {
        long v = headMapping(vs, cluster);
        return MappingValue.isData(v) && MappingValue.phys(v) == phys;
    }

    /** The references of the entry at byte {@code offset} (of the volume and of each snapshot and clone). */
    List<ScrubReference> of(VolumeState vs, long cluster, long birth, boolean head, long offset) {
        List<ScrubReference> refs = new ArrayList<>();
        long death = head ? Long.MAX_VALUE : deathOf(vs.id(), cluster, birth);
        if (head) {
            refs.add(new ScrubReference(vs.name(), vs.uuid(), vs.owner(), null, offset));
        }
        if (death > birth) {
            for (Map.Entry<Long, SnapshotRecord> s : vs.snapshots().subMap(birth, true, death, false).entrySet()) {
                refs.add(new ScrubReference(vs.name(), vs.uuid(), vs.owner(), s.getValue().name(), offset));
                clonesReadingThrough(vs, s.getKey(), cluster, offset, refs);
            }
        }
        return refs;
    }

    /** The epoch the entry died in, from its deadlist key; {@code birth} (nothing sees it) if it has none. */
    private long deathOf(long vol, long cluster, long birth) {
        long[] death = {birth};
        ctx.meta.scan(Keys.prefix(Keys.DEAD, vol, birth + 1), Keys.prefixEnd(Keys.DEAD, vol), (k, v) -> {
            if (Keys.field(k, 2) == cluster && Keys.field(k, 3) == birth) {
                death[0] = Keys.field(k, 1);
                return false;
            }
            return true;
        });
        return death[0];
    }

    /** Adds the linked clones of {@code origin}'s snapshot at {@code epoch} (and theirs) that read {@code cluster} through it. */
    private void clonesReadingThrough(VolumeState origin, long epoch, long cluster, long offset, List<ScrubReference> refs) {
        for (VolumeState clone : volumes.all()) {
            if (clone.origin() != origin || clone.originEpoch() != epoch || clone.isDeleted()) {
                continue;
            }
            if (MappingValue.isNone(headMapping(clone, cluster))) {
                refs.add(new ScrubReference(clone.name(), clone.uuid(), clone.owner(), null, offset));
            }
            for (Map.Entry<Long, SnapshotRecord> s : clone.snapshots().entrySet()) {
                MetadataStore.Entry own = ctx.meta.floor(Keys.mapping(clone.id(), cluster, s.getKey()), Keys.mapping(clone.id(), cluster, 0));
                if (own == null) {
                    refs.add(new ScrubReference(clone.name(), clone.uuid(), clone.owner(), s.getValue().name(), offset));
                    clonesReadingThrough(clone, s.getKey(), cluster, offset, refs);
                }
            }
        }
    }

    private long headMapping(VolumeState v, long cluster) {
        ReentrantLock lock = ctx.stripe(v.id(), cluster);
        lock.lock();
        try {
            return ctx.cache.page(v.pages(), cluster).values[(int) (cluster & (MapPage.SIZE - 1))];
        } finally {
            lock.unlock();
        }
    }
}
