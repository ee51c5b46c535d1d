package io.depot.engine.core;

import io.depot.engine.NoSuchSnapshotException;
import io.depot.engine.core.Records.SnapshotRecord;
import io.depot.engine.store.MetadataStore;
import java.nio.ByteBuffer;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What one volume's live snapshots see: their cached mapping pages, one directory per snapshot made on
 * its first read, and the run-by-run reads of a snapshot's range.
 *
 * <p>A snapshot's pages never change while it lives, so they are loaded once from the committed store
 * and never pinned. Whoever changes what a snapshot sees (its deletion, a rollback, the end of a
 * flatten, the volume's deletion) calls {@link #forget} with the volume's I/O drained; later reads load
 * fresh pages and the old ones leave the cache with the clock.
 */
final class SnapshotViews {
    private final VolumeState volume;
    private final PoolContext ctx;
    private final MappingCache cache;
    private final long id;
    /** The volume's live snapshots by the epoch they froze (owned by the volume; read here). */
    private final NavigableMap<Long, SnapshotRecord> snapshots;
    private final ConcurrentHashMap<Long, MappingCache.Directory> directories = new ConcurrentHashMap<>();

    SnapshotViews(VolumeState volume, PoolContext ctx, NavigableMap<Long, SnapshotRecord> snapshots) {
        this.volume = volume;
        this.ctx = ctx;
        this.cache = ctx.cache;
        this.id = volume.id();
        this.snapshots = snapshots;
    }

    /**
     * Reads a snapshot of the volume: what the head held when the snapshot that froze {@code atEpoch}
     * was taken. The caller names the snapshot's size so reads past it are refused.
     */
    void read(long atEpoch, long snapshotSize, long offset, int length, ReadSink dst) {
        volume.enterIo();
        try {
            volume.checkAlive();
            if (!snapshots.containsKey(atEpoch)) {
                throw new NoSuchSnapshotException("the snapshot of volume " + volume.name() + " was deleted");
            }
            volume.checkBounds(offset, length, snapshotSize);
            if (length > 0) {
                readRuns(atEpoch, offset, length, dst);
            }
        } finally {
            volume.exitIo();
        }
    }

    /**
     * Reads a range of the snapshot that froze {@code atEpoch}, one positional read per run of clusters
     * mapped to consecutive physical clusters (as the head's reads do).
     */
    private void readRuns(long atEpoch, long offset, int length, ReadSink dst) {
        MappingCache.Directory dir = directory(atEpoch);
        int cs = ctx.clusterSize;
        int shift = ctx.clusterShift;
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            long cluster = pos >>> shift;
            int within = (int) (pos & (cs - 1));
            long v = viewValue(dir, atEpoch, cluster);
            if (!MappingValue.isData(v) || MappingValue.isOverlay(v)) {
                int n = (int) Math.min(cs - within, end - pos);
                volume.readClusterAt(atEpoch, cluster, within, n, dst);
                pos += n;
                continue;
            }
            long phys = MappingValue.phys(v);
            RunChecks checks = checks(dir, atEpoch, cluster, v,
                    RunChecks.start(ctx.damage, volume, snapshotName(atEpoch), pos, ctx.position(phys, within), within));
            long runEnd = Math.min((cluster + 1) << shift, end);
            while (runEnd < end) {
                long nextCluster = runEnd >>> shift;
                long next = viewValue(dir, atEpoch, nextCluster);
                if (!MappingValue.isData(next) || MappingValue.isOverlay(next) || MappingValue.phys(next) != phys + (nextCluster - cluster)) {
                    break;
                }
                checks(dir, atEpoch, nextCluster, next, checks);
                runEnd = Math.min(runEnd + cs, end);
            }
            dst.data(ctx.position(phys, within), (int) (runEnd - pos), checks);
            pos = runEnd;
        }
    }

    /**
     * The mapping the snapshot that froze {@code atEpoch} sees for a cluster: from that snapshot's
     * cached pages (loaded from the committed store on first use), or straight from the store if the
     * snapshot is not (or no longer) live, so a page of a dead snapshot is never cached.
     */
    long mappingAt(long atEpoch, long cluster) {
        return viewValue(directory(atEpoch), atEpoch, cluster);
    }

    /** Adds the CRCs of the mapping {@code v} the snapshot at {@code atEpoch} sees for {@code cluster} to {@code checks}. */
    private RunChecks checks(MappingCache.Directory dir, long atEpoch, long cluster, long v, RunChecks checks) {
        if (!MappingValue.hasChecksums(v)) {
            return checks.cluster(v, NO_CRCS, ctx.blocksPerCluster);
        }
        if (dir == null) {
            MetadataStore.Entry e = ctx.meta.floor(Keys.mapping(id, cluster, atEpoch), Keys.mapping(id, cluster, 0));
            return checks.cluster(v, e == null ? NO_CRCS : e.value(), ctx.blocksPerCluster);
        }
        return checks.cluster(v, cache.page(dir, cluster), (int) (cluster & (MapPage.SIZE - 1)));
    }

    private static final byte[] NO_CRCS = new byte[0];

    /**
     * What the snapshot at {@code atEpoch} sees for {@code cluster}, value with its CRCs and overlay
     * fields, from one lookup (its cached page, or the store for a snapshot without a directory).
     */
    OverlaySlot slotAt(long atEpoch, long cluster) {
        MappingCache.Directory dir = directory(atEpoch);
        if (dir == null) {
            cache.countStoreLookup();
            MetadataStore.Entry e = ctx.meta.floor(Keys.mapping(id, cluster, atEpoch), Keys.mapping(id, cluster, 0));
            return e == null ? OverlaySlot.none(ctx.blocksPerCluster) : OverlaySlot.ofStored(e.value(), ctx.blocksPerCluster);
        }
        return OverlaySlot.of(cache.page(dir, cluster), (int) (cluster & (MapPage.SIZE - 1)));
    }

    /** The name of the snapshot that froze {@code atEpoch}, for error reports. */
    String snapshotName(long atEpoch) {
        SnapshotRecord r = snapshots.get(atEpoch);
        return r == null ? "epoch " + atEpoch : r.name();
    }

    /** {@link #mappingAt} with the snapshot's directory already looked up (null: not cached). */
    private long viewValue(MappingCache.Directory dir, long atEpoch, long cluster) {
        if (dir == null) {
            cache.countStoreLookup();
            MetadataStore.Entry e = ctx.meta.floor(Keys.mapping(id, cluster, atEpoch), Keys.mapping(id, cluster, 0));
            return e == null ? MappingValue.NONE : MappingValue.decode(e.value());
        }
        return cache.page(dir, cluster).values[(int) (cluster & (MapPage.SIZE - 1))];
    }

    private MappingCache.Directory directory(long atEpoch) {
        MappingCache.Directory dir = directories.get(atEpoch);
        if (dir != null) {
            return dir;
        }
        if (!snapshots.containsKey(atEpoch)) {
            return null;
        }
        dir = directories.computeIfAbsent(atEpoch, e -> cache.snapshotDirectory(id, ctx.maxVolumeClusters, e));
        if (!snapshots.containsKey(atEpoch)) {   // deleted meanwhile (a reader without this volume's ioLock, e.g. diff)
            directories.remove(atEpoch, dir);
            return null;
        }
        return dir;
    }

    /**
     * Stops using the cached pages of the snapshot at {@code atEpoch} (or of every snapshot, with -1):
     * called with the volume's I/O drained, when what they show may have changed.
     */
    void forget(long atEpoch) {
        if (atEpoch < 0) {
            directories.clear();
        } else {
            directories.remove(atEpoch);
        }
    }
}
