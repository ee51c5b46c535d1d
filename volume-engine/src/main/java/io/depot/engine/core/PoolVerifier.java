package io.depot.engine.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.roaringbitmap.RoaringBitmap;

/**
 * The consistency checker (scrub): every deadlist entry has its mapping and is seen by a snapshot,
 * every replaced mapping is on a deadlist, no physical cluster is mapped twice, the allocator agrees
 * with the mappings, and each volume's head count matches the store.
 */
final class PoolVerifier {
    private PoolVerifier() {}

    /**
     * Checks the committed metadata against the engine's invariants and the allocator; returns the
     * problems found (empty when consistent). Call it on a quiet pool, with no reclaim step running.
     */
    static List<String> check(PoolContext ctx, Volumes volumes, Reclaimer reclaimer) {
        ctx.pipeline.flush();
        List<String> problems = new ArrayList<>();
        List<Long> reclaiming = reclaimer.storedQueue();
        Set<Slot> deadlisted = new HashSet<>();
        ctx.meta.scan(Keys.prefix(Keys.DEAD), Keys.prefixEnd(Keys.DEAD), (k, value) -> {
            long vol = Keys.field(k, 0);
            long death = Keys.field(k, 1);
            long cluster = Keys.field(k, 2);
            long birth = Keys.field(k, 3);
            deadlisted.add(new Slot(vol, cluster, birth));
            if (reclaiming.contains(vol)) {
                return true;   // a deleted volume part way through reclaim: its entries go in any order
            }
            byte[] mapped = ctx.meta.get(Keys.mapping(vol, cluster, birth));
            if (mapped == null) {
                problems.add("deadlist entry " + vol + "/" + cluster + "@" + birth + " has no mapping");
            } else if (MappingValue.overlay(MappingValue.decode(mapped), false) != MappingValue.overlay(MappingValue.decode(value), false)) {
                // (an overlay completed while on the deadlist keeps the flag in its deadlist copy: only the M entry matters)
                problems.add("deadlist entry " + vol + "/" + cluster + "@" + birth + " disagrees with its mapping");
            }
            VolumeState v = volumes.byId(vol);
            if (v != null) {
                Long seenBy = v.snapshots().ceilingKey(birth);
                if (death <= birth || seenBy == null || seenBy >= death) {
                    problems.add("deadlist entry " + vol + "/" + cluster + "@" + birth + "-" + death + " is seen by no snapshot (leak)");
                }
            } else if (!reclaiming.contains(vol)) {
                problems.add("deadlist entry of unknown volume " + vol);
            }
            return true;
        });
        RoaringBitmap referenced = new RoaringBitmap();
        long capacity = ctx.allocator.capacityClusters();
        Map<Long, Long> headCounts = new HashMap<>();
        Slot[] previous = {null};
        Set<Long> olderComplete = new HashSet<>();   // data of the older complete entries of the cluster being scanned
        long[] previousValue = {MappingValue.NONE};
        ctx.meta.scan(Keys.prefix(Keys.MAPPING), Keys.prefixEnd(Keys.MAPPING), (k, value) -> {
            Slot slot = new Slot(Keys.field(k, 0), Keys.field(k, 1), Keys.field(k, 2));
            long m = MappingValue.decode(value);
            VolumeState v = volumes.byId(slot.vol());
            if (v == null && !reclaiming.contains(slot.vol())) {
                problems.add("mapping of unknown volume " + slot.vol() + " cluster " + slot.cluster());
            }
            if (MappingValue.isData(m)) {
                long phys = MappingValue.phys(m);
                if (phys >= capacity) {
                    problems.add("mapping " + slot + " points past the pool: " + phys);
                } else if (!referenced.checkedAdd((int) phys)) {
                    problems.add("physical cluster " + phys + " mapped twice (again by " + slot + ")");
                }
            }
            Slot prev = previous[0];
            boolean sameAsPrev = prev != null && prev.vol() == slot.vol() && prev.cluster() == slot.cluster();
            if (!sameAsPrev) {
                olderComplete.clear();
            }
            if (MappingValue.isOverlay(m)) {
                long base = MappingValue.decodeBase(value);
                if (!olderComplete.contains(base)) {
                    problems.add("overlay " + slot + " reads from cluster " + base + ", which is no older complete entry of its cluster");
                }
            } else if (MappingValue.isData(m)) {
                olderComplete.add(MappingValue.phys(m));
            }
            if (prev != null && !reclaiming.contains(prev.vol())) {
                boolean sameCluster = prev.vol() == slot.vol() && prev.cluster() == slot.cluster();
                checkRetired(prev, sameCluster, previousValue[0], deadlisted, problems, headCounts);
            }
            previous[0] = slot;
            previousValue[0] = m;
            return true;
        });
        if (previous[0] != null && !reclaiming.contains(previous[0].vol())) {
            checkRetired(previous[0], false, previousValue[0], deadlisted, problems, headCounts);
        }
        RoaringBitmap used = ctx.allocator.usedSnapshot();
        RoaringBitmap leaked = RoaringBitmap.andNot(used, referenced);
        RoaringBitmap unaccounted = RoaringBitmap.andNot(referenced, used);
        if (!leaked.isEmpty()) {
            problems.add(leaked.getCardinality() + " clusters in use but referenced by no mapping, e.g. " + leaked.first());
        }
        if (!unaccounted.isEmpty()) {
            problems.add(unaccounted.getCardinality() + " referenced clusters the allocator thinks free, e.g. " + unaccounted.first());
        }
        for (VolumeState v : volumes.all()) {
            long head = headCounts.getOrDefault(v.id(), 0L);
            if (head != v.headClusters()) {
                problems.add("volume " + v.name() + " counts " + v.headClusters() + " head clusters, store has " + head);
            }
        }
        ctx.meta.scan(Keys.prefix(Keys.SNAPSHOT), Keys.prefixEnd(Keys.SNAPSHOT), (k, value) -> {
            long vol = Keys.field(k, 0);
            if (!volumes.contains(vol) && !reclaiming.contains(vol)) {
                problems.add("snapshot record of unknown volume " + vol);
            }
            return true;
        });
        return problems;
    }

    /** One mapping's key fields, for the checker. */
    private record Slot(long vol, long cluster, long birth) {}

    /**
     * An entry followed by a newer one of the same cluster was replaced: it must be on the deadlist
     * (a snapshot still sees it), else it is a leak. The newest entry of a cluster is the head's.
     */
    private static void checkRetired(Slot slot, boolean replaced, long value, Set<Slot> deadlisted,
                                         List<String> problems, Map<Long, Long> headCounts) {
        if (replaced) {
            if (!deadlisted.contains(slot)) {
                problems.add("mapping " + slot + " is replaced but on no deadlist (leak)");
            }
        } else if (MappingValue.isData(value)) {
            headCounts.merge(slot.vol(), 1L, Long::sum);
        }
    }
}
