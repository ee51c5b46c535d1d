package io.depot.engine.core;

import io.depot.engine.Extent;
import io.depot.engine.InvalidIoException;
import java.util.ArrayList;
import java.util.List;
import org.roaringbitmap.longlong.Roaring64NavigableMap;

/**
 * The clusters whose contents differ between two snapshots of a volume: the basis of incremental
 * backup. Only mappings born between the two snapshots can differ, so the scan visits those (and, for
 * a full diff of a clone, what its origins map).
 */
final class SnapshotDiff {
    private final PoolContext ctx;

    SnapshotDiff(PoolContext ctx) {
        this.ctx = ctx;
    }

    /**
     * The extents that differ between {@code from} and {@code to} ({@code from} null: between nothing
     * and {@code to}, i.e. every extent holding data).
     */
    List<Extent> between(SnapshotRef from, SnapshotRef to) {
        VolumeState v = to.volume();
        if (from != null && (from.volume() != v || from.epoch() >= to.epoch())) {
            throw new InvalidIoException("diff needs an older snapshot of the same volume as its base");
        }
        long size = to.record().sizeBytes();
        long sizeClusters = ctx.clustersFor(size);
        Roaring64NavigableMap candidates = new Roaring64NavigableMap();
        long lower = from == null ? -1 : from.epoch();
        ctx.meta.scan(Keys.prefix(Keys.MAPPING, v.id()), Keys.prefixEnd(Keys.MAPPING, v.id()), (k, value) -> {
            long birth = Keys.field(k, 2);
            if (birth > lower && birth <= to.epoch()) {
                candidates.addLong(Keys.field(k, 1));
            }
            return true;
        });
        if (from == null) {
            OriginChain.forEachMappedCluster(ctx.meta, v.origin(), 0, Long.MAX_VALUE, candidates::addLong);
        }
        List<Extent> out = new ArrayList<>();
        long runStart = -1;
        long runEnd = -1;
        boolean runData = false;
        var it = candidates.getLongIterator();
        while (it.hasNext()) {
            long c = it.next();
            if (c >= sizeClusters) {
                break;
            }
            boolean data = OriginChain.hasData(v, to.epoch(), c);
            if (from == null && !data) {
                continue;
            }
            if (runStart >= 0 && c == runEnd && data == runData) {
                runEnd++;
                continue;
            }
            if (runStart >= 0) {
                out.add(extent(runStart, runEnd, runData, size));
            }
            runStart = c;
            runEnd = c + 1;
            runData = data;
        }
        if (runStart >= 0) {
            out.add(extent(runStart, runEnd, runData, size));
        }
        return out;
    }

    /** Clusters [first, end) as a byte extent, the last one cut at the snapshot's size. */
    private Extent extent(long first, long end, boolean data, long size) {
        long offset = first << ctx.clusterShift;
        return new Extent(offset, Math.min(end << ctx.clusterShift, size) - offset, data);
    }
}
