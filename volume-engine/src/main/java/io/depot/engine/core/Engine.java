package io.depot.engine.core;

import io.depot.engine.DependentClonesException;
import io.depot.engine.Extent;
import io.depot.engine.InvalidIoException;
import io.depot.engine.PoolFormatException;
import io.depot.engine.PoolTuning;
import io.depot.engine.PoolUsage;
import io.depot.engine.VolumeIoObservers;
import io.depot.engine.VolumeOwner;
import io.depot.engine.core.Records.PoolRecord;
import io.depot.engine.core.Records.SnapshotRecord;
import io.depot.engine.core.Records.VolumeRecord;
import io.depot.engine.store.BlockStore;
import io.depot.engine.store.MetaBatch;
import io.depot.engine.store.MetadataStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The copy-on-write engine of one pool, written against the two narrow store interfaces so the
 * same logic runs on RocksDB and a data file, or on the simulated stores of the crash simulation.
 *
 * <p>The engine opens and closes the pool, runs its background threads (the group-commit ticker and
 * the workers for flattens and reclaim) and is the one door to the core: each operation goes to the
 * collaborator that owns it ({@link Volumes}, {@link Snapshots}, {@link Clones}, {@link Reclaimer},
 * {@link SnapshotDiff}, {@link PoolVerifier}), all sharing one {@link PoolContext}. Administrative
 * changes are serialised by the context's admin lock and written synchronously; I/O runs concurrently
 * in {@link VolumeState} under per-volume and per-cluster locks and stages its metadata in the
 * {@link CommitPipeline}.
 */
public final class Engine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Engine.class);

    /** Largest volume: 64 TiB. */
    public static final long MAX_VOLUME_BYTES = PoolContext.MAX_VOLUME_BYTES;

    private final PoolContext ctx;
    private final CommitSyncer syncer;
    private final Volumes volumes;
    private final Snapshots snapshots;
    private final Clones clones;
    private final Reclaimer reclaimer;
    private final SnapshotDiff diff;
    private final ReadPlanner reads;
    private final Scrubber scrubber;
    private final ScheduledExecutorService ticker;
    private final ExecutorService workers;
    private final AtomicBoolean commitRequested = new AtomicBoolean();
    private volatile boolean closed;

    private Engine(MetadataStore meta, BlockStore blocks, PoolRecord record, PoolTuning tuning) {
        this.ctx = new PoolContext(meta, blocks, record, tuning.cacheBytes(), this::requestCommit);
        this.syncer = new CommitSyncer(ctx.pipeline);
        if (tuning.background()) {
            ticker = Executors.newSingleThreadScheduledExecutor(daemon("depot-commit"));
            ticker.scheduleWithFixedDelay(this::backgroundCommit, tuning.commitIntervalMillis(),
                    tuning.commitIntervalMillis(), TimeUnit.MILLISECONDS);
            workers = Executors.newFixedThreadPool(2, daemon("depot-worker"));
        } else {
            ticker = null;
            workers = null;
        }
        this.volumes = new Volumes(ctx);
        this.snapshots = new Snapshots(ctx, volumes);
        this.clones = new Clones(ctx, volumes, workers);
        this.reclaimer = new Reclaimer(ctx);
        this.diff = new SnapshotDiff(ctx);
        this.reads = new ReadPlanner(ctx);
        this.scrubber = new Scrubber(ctx, volumes);
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    // ---------------------------------------------------------------- create / open / close

    /** Formats an empty pool on the given stores. */
    public static Engine create(MetadataStore meta, BlockStore blocks, int clusterSize, long capacityBytes, PoolTuning tuning) {
        if (Integer.bitCount(clusterSize) != 1 || clusterSize < 4096 || clusterSize > (1 << 20)) {
            throw new InvalidIoException("cluster size must be a power of two from 4 KiB to 1 MiB, not " + clusterSize);
        }
        if (capacityBytes < clusterSize || capacityBytes % clusterSize != 0) {
            throw new InvalidIoException("pool capacity must be a positive multiple of the cluster size (" + clusterSize + ")");
        }
        if (capacityBytes > blocks.maxSize()) {
            throw new InvalidIoException("pool capacity " + capacityBytes + " exceeds the data device (" + blocks.maxSize() + " bytes)");
        }
        if ((capacityBytes / clusterSize) > Integer.MAX_VALUE) {
            throw new InvalidIoException("pool capacity too large for cluster size " + clusterSize + ": at most 2^31 clusters");
        }
        if (meta.get(Keys.pool()) != null) {
            throw new PoolFormatException("a pool already exists here");
        }
        PoolRecord record = new PoolRecord(UUID.randomUUID(), clusterSize, capacityBytes, 1, System.currentTimeMillis());
        meta.write(new MetaBatch().put(Keys.pool(), record.encode()));
        return open(meta, blocks, tuning);
    }

    /** Opens a pool: loads volumes and snapshots, rebuilds the free-space map from the mappings. */
    public static Engine open(MetadataStore meta, BlockStore blocks, PoolTuning tuning) {
        byte[] raw = meta.get(Keys.pool());
        if (raw == null) {
            throw new PoolFormatException("no pool here (missing pool record)");
        }
        long started = System.nanoTime();
        Engine engine = new Engine(meta, blocks, PoolRecord.decode(raw), tuning);
        boolean reclaimPending = engine.load();
        engine.ctx.damage.open(meta, engine.ctx.pipeline);
        engine.ctx.openPages.recover(engine.volumes);
        log.info("pool {} opened: {} volumes, {} of {} clusters in use ({} KiB each), rebuilt in {} ms",
                engine.ctx.poolRecord().uuid(), engine.volumes.count(), engine.ctx.allocator.usedClusters(),
                engine.ctx.allocator.capacityClusters(), engine.ctx.clusterSize >> 10, (System.nanoTime() - started) / 1_000_000);
        engine.resumeBackgroundWork(reclaimPending);
        return engine;
    }

    /** Loads every volume and snapshot and marks every mapped cluster used; true if a reclaim is pending. */
    private boolean load() {
        boolean reclaimPending = reclaimer.loadQueue();
        MetadataStore meta = ctx.meta;
        Map<Long, VolumeRecord> records = new HashMap<>();
        meta.scan(Keys.prefix(Keys.VOLUME), Keys.prefixEnd(Keys.VOLUME), (k, v) -> {
            VolumeRecord r = VolumeRecord.decode(v);
            records.put(r.id(), r);
            volumes.index(new VolumeState(ctx, r));
            return true;
        });
        for (VolumeRecord r : records.values()) {
            if (r.originVolume() != 0) {
                VolumeState origin = volumes.byId(r.originVolume());
                if (origin == null) {
                    throw new PoolFormatException("volume " + r.name() + " is a clone of missing volume " + r.originVolume());
                }
                volumes.byId(r.id()).attachOrigin(origin);
            }
        }
        meta.scan(Keys.prefix(Keys.SNAPSHOT), Keys.prefixEnd(Keys.SNAPSHOT), (k, v) -> {
            VolumeState vs = volumes.byId(Keys.field(k, 0));
            if (vs != null) {
                vs.snapshotLoaded(Keys.field(k, 1), SnapshotRecord.decode(v));
            }
            return true;
        });
        long[] last = {-1, -1, MappingValue.NONE};   // volume, cluster, value of the newest entry seen
        long[] unverified = {0};
        meta.scan(Keys.prefix(Keys.MAPPING), Keys.prefixEnd(Keys.MAPPING), (k, v) -> {
            long vol = Keys.field(k, 0);
            long cluster = Keys.field(k, 1);
            long value = MappingValue.decode(v);
            if (MappingValue.isData(value) && !MappingValue.hasChecksums(value)) {
                unverified[0]++;   // written by format 1: read unverified until upgraded
            }
            if (MappingValue.isData(value) && !ctx.allocator.markUsed(MappingValue.phys(value))) {
                throw new PoolFormatException("metadata corrupt: physical cluster " + MappingValue.phys(value)
                        + " is mapped twice (volume " + vol + " cluster " + cluster + ")");
            }
            if (vol != last[0] || cluster != last[1]) {
                countHead(last);
                last[0] = vol;
                last[1] = cluster;
            }
            last[2] = value;
            return true;
        });
        countHead(last);
        ctx.damage.unverifiedClusters(unverified[0]);
        ctx.allocator.finishRebuild();
        return reclaimPending;
    }

    private void countHead(long[] last) {
        VolumeState vs = volumes.byId(last[0]);
        if (vs != null && MappingValue.isData(last[2])) {
            vs.headClusterAdded();
        }
    }

    private void resumeBackgroundWork(boolean reclaimPending) {
        if (workers == null) {
            return;
        }
        if (reclaimPending) {
            workers.submit(reclaimer::reclaimAll);
        }
        scrubber.resumeInterrupted();
        for (VolumeState v : volumes.all()) {
            if (v.isFlattening() && v.hasOrigin()) {
                clones.startFlatten(v);
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ctx.markClosing();
        clones.cancelAll();
        scrubber.close();
        if (ticker != null) {
            ticker.shutdownNow();
        }
        if (workers != null) {
            workers.shutdownNow();
            try {
                workers.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            ctx.openPages.settleAll();
            ctx.pipeline.flush();
        } finally {
            syncer.close();
            ctx.pipeline.close();
            ctx.meta.close();
            ctx.blocks.close();
        }
    }

    /** Schedules a commit soon without waiting for it (no-op without background threads). */
    private void requestCommit() {
        if (ticker != null && commitRequested.compareAndSet(false, true)) {
            try {
                ticker.execute(() -> {
                    commitRequested.set(false);
                    backgroundCommit();
                });
            } catch (RejectedExecutionException closing) {
                commitRequested.set(false);
            }
        }
    }

    private void backgroundCommit() {
        try {
            ctx.openPages.settleIdle();
            ctx.pipeline.commitIfStaged();
        } catch (RuntimeException e) {
            log.error("background commit failed; the pool refuses further writes until it is reopened", e);
        }
    }

    // ---------------------------------------------------------------- pool

    /** The metadata store and the commits over it, for the catalog of the layers above. */
    public MetadataStore metadata() { return ctx.meta; }

    public CommitSyncer commitSyncer() { return syncer; }

    public int clusterSize() { return ctx.clusterSize; }

    /** Zero-copy reads: plans of the data file's runs under reader pins. */
    public ReadPlanner reads() { return reads; }

    /** Damaged blocks found by checksums (see {@link io.depot.engine.PoolIntegrity}). */
    public io.depot.engine.PoolIntegrity integrity() { return ctx.damage; }

    public PoolRecord poolRecord() { return ctx.poolRecord(); }

    public PoolUsage usage() {
        long provisioned = 0;
        int snaps = 0;
        for (VolumeState v : volumes.all()) {
            provisioned += v.sizeBytes();
            snaps += v.snapshots().size();
        }
        return new PoolUsage(ctx.allocator.capacityClusters() << ctx.clusterShift, ctx.allocator.usedClusters() << ctx.clusterShift,
                provisioned, ctx.clusterSize, volumes.count(), snaps);
    }

    /** Grows the pool (the data file or device must have room). */
    public void growCapacity(long capacityBytes) {
        ctx.lockAdmin();
        try {
            PoolRecord current = ctx.poolRecord();
            if (capacityBytes % ctx.clusterSize != 0 || capacityBytes < current.capacityBytes()) {
                throw new InvalidIoException("new capacity must be a multiple of the cluster size and not smaller than today's");
            }
            if (capacityBytes > ctx.blocks.maxSize()) {
                throw new InvalidIoException("capacity " + capacityBytes + " exceeds the data device (" + ctx.blocks.maxSize() + " bytes)");
            }
            ctx.writePoolRecord(current.withCapacity(capacityBytes), new MetaBatch());
            ctx.allocator.grow(capacityBytes >>> ctx.clusterShift);
        } finally {
            ctx.unlockAdmin();
        }
    }

    /** Makes everything written so far durable. */
    public void flush() {
        ctx.pipeline.flush();
    }

    /** The pool's allocator, for the core's own tests. */
    ClusterAllocator allocator() { return ctx.allocator; }

    public long cachePageLoads() { return ctx.cache.pageLoads(); }

    /**
     * The mapping cache's counters since the pool opened, for tests and the bench: pages loaded from the
     * store, pages evicted by the clock, pages cached now, and snapshot mapping lookups that read the
     * store directly (a snapshot that is not live has no directory).
     */
    public CacheCounters cacheCounters() {
        MappingCache cache = ctx.cache;
        return new CacheCounters(cache.pageLoads(), cache.evictions(), cache.loadedPages(), cache.storeLookups());
    }

    public record CacheCounters(long pageLoads, long evictions, long cachedPages, long storeLookups) {
        public CacheCounters minus(CacheCounters before) {
            return new CacheCounters(pageLoads - before.pageLoads, evictions - before.evictions, cachedPages, storeLookups - before.storeLookups);
        }
    }

    /**
     * Checks the committed metadata against the engine's invariants and the allocator; returns the
     * problems found (empty when consistent). Call it on a quiet pool.
     */
    public List<String> verify() {
        return reclaimer.whileQuiet(() -> PoolVerifier.check(ctx, volumes, reclaimer));
    }

    // ---------------------------------------------------------------- scrub

    /** Starts a scrub ({@code mode} UPGRADE: also checksums format-1 data), reading at most {@code bandwidth} bytes/s (0: no cap). */
    public io.depot.engine.ScrubStatus startScrub(io.depot.engine.ScrubStatus.Mode mode, long bandwidth) { return scrubber.start(mode, bandwidth); }

    /** Continues a cancelled or failed scrub from where it stopped. */
    public io.depot.engine.ScrubStatus resumeScrub() { return scrubber.resume(); }

    public io.depot.engine.ScrubStatus scrubStatus() { return scrubber.status(); }

    /** Stops the running scrub (it can be resumed); false if none ran. */
    public boolean cancelScrub() { return scrubber.cancel(); }

    /** Waits up to {@code timeoutMillis} for the running scrub to end. */
    public io.depot.engine.ScrubStatus awaitScrub(long timeoutMillis) throws InterruptedException { return scrubber.await(timeoutMillis); }

    // ---------------------------------------------------------------- volumes

    public VolumeState createVolume(String name, long sizeBytes) {
        return volumes.create(name, sizeBytes, VolumeOwner.USER);
    }

    public VolumeState createVolume(String name, long sizeBytes, VolumeOwner owner) {
        return volumes.create(name, sizeBytes, owner);
    }

    public List<VolumeState> volumes() { return volumes.sorted(); }

    public VolumeState volume(String name) { return volumes.named(name); }

    public VolumeState volume(UUID uuid) { return volumes.withUuid(uuid); }

    /** Gives every volume, those open now and those to come, an I/O observer from {@code observers}. */
    public void observeIo(VolumeIoObservers observers) { volumes.observeIo(observers); }

    public void rename(VolumeState v, String newName) { volumes.rename(v, newName); }

    /** Hands a volume to {@code owner}, durably. */
    public void setOwner(VolumeState v, VolumeOwner owner) { volumes.setOwner(v, owner); }

    /** Grows a volume, or shrinks it when {@code allowShrink} (the cut-off data is unmapped). */
    public void resize(VolumeState v, long newSize, boolean allowShrink) { volumes.resize(v, newSize, allowShrink); }

    /**
     * Deletes a volume at once; its clusters are reclaimed in the background. Refused while a linked
     * clone still reads through one of its snapshots.
     */
    public void deleteVolume(VolumeState v) {
        ctx.lockAdmin();
        try {
            v.checkAlive();
            List<VolumeState> dependents = volumes.dependents(v, -1);
            if (!dependents.isEmpty()) {
                throw new DependentClonesException("volume " + v.name() + " has linked clones ("
                        + dependents.stream().map(VolumeState::name).toList() + "); delete or flatten them first");
            }
            clones.stop(v);
            reclaimer.delete(v);
            volumes.unindex(v);
            log.info("deleted volume {} ({}); its {} bytes are reclaimed in the background", v.name(), v.uuid(), v.allocatedBytes());
        } finally {
            ctx.unlockAdmin();
        }
        if (workers != null) {
            workers.submit(reclaimer::reclaimAll);
        }
    }

    /**
     * Frees the clusters of deleted volumes, in bounded atomic steps. Safe to interrupt at any point.
     * One run at a time: two runs scanning the same volume could free a cluster twice.
     */
    public void reclaimAll() { reclaimer.reclaimAll(); }

    /** Waits until no deleted volume awaits reclaim; false on timeout. */
    public boolean awaitReclaim(long timeoutMillis) throws InterruptedException { return reclaimer.await(timeoutMillis); }

    // ---------------------------------------------------------------- snapshots, clones, diff

    public SnapshotRef snapshot(VolumeState v, String name) { return snapshots.named(v, name); }

    public List<SnapshotRef> snapshots(VolumeState v) { return snapshots.of(v); }

    /** Snapshots several volumes at one instant (a consistency group; one volume is a group of one). */
    public List<SnapshotRef> snapshotGroup(List<VolumeState> group, String name) { return snapshots.takeGroup(group, name); }

    /** Deletes a snapshot; returns the bytes freed. */
    public long deleteSnapshot(SnapshotRef snap) { return snapshots.delete(snap); }

    /** Bytes that deleting this snapshot would free. */
    public long uniqueBytes(SnapshotRef snap) { return snapshots.uniqueBytes(snap); }

    /** Rolls a volume back to a snapshot (with {@code destroyNewer}, deleting the snapshots taken after it). */
    public void rollback(SnapshotRef snap, boolean destroyNewer) { snapshots.rollback(snap, destroyNewer); }

    /** A writable clone of a snapshot, the user's; with {@code full} it becomes independent in the background. */
    public VolumeState clone(SnapshotRef snap, String name, boolean full) {
        return clones.clone(snap, name, full, VolumeOwner.USER);
    }

    /** A writable clone of a snapshot owned by {@code owner}. */
    public VolumeState clone(SnapshotRef snap, String name, boolean full, VolumeOwner owner) {
        return clones.clone(snap, name, full, owner);
    }

    /** Starts (or returns the running) flatten of a linked clone. */
    public FlattenTask startFlatten(VolumeState clone) { return clones.startFlatten(clone); }

    /** The running flatten of a clone, or the last one that ended (to read its outcome), or null. */
    public FlattenTask flattenTask(VolumeState clone) { return clones.task(clone); }

    /** The extents that differ between two snapshots of a volume ({@code from} null: every data extent of {@code to}). */
    public List<Extent> diff(SnapshotRef from, SnapshotRef to) { return diff.between(from, to); }
}
