package io.depot.engine.core;

import io.depot.engine.InvalidIoException;
import io.depot.engine.NoSuchSnapshotException;
import io.depot.engine.VolumeOwner;
import io.depot.engine.core.Records.SnapshotRecord;
import io.depot.engine.store.MetaBatch;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import org.roaringbitmap.longlong.Roaring64NavigableMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Clones of snapshots and their flattening. A linked clone reads through to its origin snapshot for
 * every cluster it has not written. A flatten copies the clusters it still shares (thin: holes stay
 * holes) until it no longer depends on the origin; a full clone is a linked clone whose flatten starts
 * at once.
 */
final class Clones {
    private static final Logger log = LoggerFactory.getLogger(Clones.class);

    private final PoolContext ctx;
    private final Volumes volumes;
    /** Runs flattens in the background; null runs them in the caller (the simulation drives everything itself). */
    private final ExecutorService workers;
    private final Map<Long, FlattenTask> flattens = new ConcurrentHashMap<>();

    Clones(PoolContext ctx, Volumes volumes, ExecutorService workers) {
        this.ctx = ctx;
        this.volumes = volumes;
        this.workers = workers;
    }

    /** A writable clone of a snapshot owned by {@code owner}; with {@code full} it starts flattening at once. */
    VolumeState clone(SnapshotRef snap, String name, boolean full, VolumeOwner owner) {
        Volumes.checkName(name);
        VolumeState origin = snap.volume();
        VolumeState clone;
        ctx.lockAdmin();
        try {
            origin.checkAlive();
            if (!origin.snapshots().containsKey(snap.epoch())) {
                throw new NoSuchSnapshotException("snapshot " + snap.record().name() + " of " + origin.name() + " no longer exists");
            }
            volumes.requireFreeName(name);
            clone = volumes.insert(name, snap.record().sizeBytes(), owner, origin, snap.epoch(), full);
        } finally {
            ctx.unlockAdmin();
        }
        if (full) {
            startFlatten(clone);
        }
        return clone;
    }

    /** Starts (or returns the running) flatten of a linked clone. */
    FlattenTask startFlatten(VolumeState clone) {
        clone.checkAlive();
        if (!clone.hasOrigin()) {
            throw new InvalidIoException("volume " + clone.name() + " is not a linked clone");
        }
        FlattenTask task = new FlattenTask(clone, this::flatten);
        FlattenTask running = flattens.compute(clone.id(), (id, last) -> last != null && !last.hasEnded() ? last : task);
        if (running != task) {
            return running;
        }
        if (clone.markFlattening()) {
            volumes.persist(clone);
        }
        if (workers != null) {
            workers.submit(task::run);
        } else {
            task.run();
        }
        return task;
    }

    /** The running flatten of a clone, or the last one that ended (to read its outcome), or null. */
    FlattenTask task(VolumeState clone) {
        return flattens.get(clone.id());
    }

    /** Stops the flatten of a volume about to be deleted and waits until it has. */
    void stop(VolumeState clone) {
        FlattenTask running = flattens.remove(clone.id());
        if (running != null) {
            running.cancel();
            running.awaitQuietly();
        }
    }

    /** Cancels every flatten (the pool is closing; the clones stay linked clones). */
    void cancelAll() {
        for (FlattenTask t : flattens.values()) {
            t.cancel();
        }
    }

    private void flatten(FlattenTask task) {
        VolumeState clone = task.volume();
        Roaring64NavigableMap shared = new Roaring64NavigableMap();
        // the head may have shrunk since older snapshots were taken: they still read their tails through the origin
        long largest = clone.sizeBytes();
        for (SnapshotRecord r : clone.snapshots().values()) {
            largest = Math.max(largest, r.sizeBytes());
        }
        OriginChain.forEachMappedCluster(ctx.meta, clone.origin(), 0, ctx.clustersFor(largest), shared::addLong);
        task.counted(shared.getLongCardinality());
        log.info("flattening volume {}: {} clusters to visit", clone.name(), task.total());
        var it = shared.getLongIterator();
        while (it.hasNext()) {
            if (task.isCancelled() || ctx.isClosing() || clone.isDeleted()) {
                log.info("flatten of volume {} stopped at {}/{}; it stays a linked clone", clone.name(), task.done(), task.total());
                return;
            }
            copyShared(clone, it.next());
            task.advanced();
        }
        clone.drainIo();
        try {
            ctx.pipeline.flush();
            VolumeState origin = clone.origin();
            clone.detachFromOrigin();
            volumes.persist(clone);
            log.info("volume {} is now independent of {}", clone.name(), origin.name());
        } finally {
            clone.resumeIo();
        }
        task.markFinished();
    }

    /** Gives the clone its own copy of one cluster it still reads from its origin. */
    private void copyShared(VolumeState clone, long cluster) {
        clone.enterIo();
        try {
            clone.changeSlot(cluster, (page, i) -> {
                long own = page.values[i];
                long origin = OriginChain.mappingThrough(clone.origin(), clone.originEpoch(), cluster);
                if (!MappingValue.isData(origin)) {
                    return 0;   // the origin has nothing here: thin stays thin
                }
                long birth;
                long deathEpoch = -1;
                if (MappingValue.isNone(own)) {
                    birth = clone.snapshots().isEmpty() ? clone.epoch() : 0;
                } else {
                    // the head has its own data; only the clone's older snapshots still need the origin's
                    long[] firstOwn = {page.births[i]};
                    ctx.meta.scan(Keys.mapping(clone.id(), cluster, 0), Keys.mapping(clone.id(), cluster + 1, 0), (k, value) -> {
                        firstOwn[0] = Math.min(firstOwn[0], Keys.field(k, 2));
                        return false;   // keys ascend by birth: the first is the oldest
                    });
                    if (clone.snapshots().lowerKey(firstOwn[0]) == null) {
                        return 0;
                    }
                    birth = 0;
                    deathEpoch = firstOwn[0];
                }
                ClusterAllocator.Allocation a = ctx.allocate(true);   // the copy fills the cluster
                int n = ctx.blocksPerCluster;
                int[] crcs = new int[n];
                ByteBuffer image = ctx.clusterBuffers.acquire();
                try {
                    // read as the clone's readers would (checked against the origin's CRCs), then copied with fresh ones
                    clone.origin().readClusterAt(clone.originEpoch(), cluster, 0, ctx.clusterSize, ReadSink.into(ctx.blocks, image));
                    image.flip();
                    BlockChecksums.crcs(image, 0, n, crcs, 0);
                    ctx.writePhysical(a.phys(), 0, ctx.clusterSize, image);
                } catch (RuntimeException e) {
                    ctx.pipeline.stage(new MetaBatch(), a.phys());   // never mapped
                    throw e;
                } finally {
                    ctx.clusterBuffers.release(image);
                }
                long nv = MappingValue.checksummed(MappingValue.data(a.phys(), false));
                MetaBatch change = new MetaBatch().put(Keys.mapping(clone.id(), cluster, birth), MappingValue.encode(nv, crcs, 0, n));
                if (deathEpoch >= 0) {
                    change.put(Keys.dead(clone.id(), deathEpoch, cluster, birth), MappingValue.encode(nv));
                } else {
                    page.values[i] = nv;
                    page.births[i] = birth;
                    System.arraycopy(crcs, 0, page.crcs, i * n, n);
                    clone.headClusterAdded();
                }
                return ctx.pipeline.stage(change, -1);
            });
        } finally {
            clone.exitIo();
        }
    }
}
