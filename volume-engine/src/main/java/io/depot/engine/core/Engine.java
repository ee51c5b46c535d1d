package io.depot.engine.core;

import io.depot.engine.DependentClonesException;
import io.depot.engine.InvalidIoException;
import io.depot.engine.NameInUseException;
import io.depot.engine.NoSuchSnapshotException;
import io.depot.engine.NoSuchVolumeException;
import io.depot.engine.OutOfSpaceException;
import io.depot.engine.Extent;
import io.depot.engine.PoolFormatException;
import io.depot.engine.PoolUsage;
import io.depot.engine.VolumeIoObserver;
import io.depot.engine.VolumeIoObservers;
import io.depot.engine.core.Records.PoolRecord;
import io.depot.engine.core.Records.SnapshotRecord;
import io.depot.engine.core.Records.VolumeRecord;
import io.depot.engine.store.BlockStore;
import io.depot.engine.store.MetaBatch;
import io.depot.engine.store.MetadataStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.roaringbitmap.RoaringBitmap;
import org.roaringbitmap.longlong.Roaring64NavigableMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The copy-on-write engine of one pool, written against the two narrow store interfaces so the
 * same logic runs on RocksDB and a data file, or on the simulated stores of the crash simulation.
 *
 * <p>Administrative changes (volumes, snapshots, clones) are serialised by {@link #admin} and written
 * synchronously; I/O runs concurrently under per-volume and per-cluster locks and stages its metadata
 * in the {@link CommitPipeline}.
 */
public final class Engine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Engine.class);

    /** Largest volume: 64 TiB. */
    public static final long MAX_VOLUME_BYTES = 64L << 40;
    private static final int STRIPES = 4096;
    /** Read-only zeros, as large as the largest cluster. */
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

    /** Tunables; {@code background} false runs no threads (the simulation drives everything itself). */
    public record Options(long cacheBytes, long commitIntervalMillis, boolean background) {
        public static Options defaults() { return new Options(256L << 20, 1000, true); }
    }

    final MetadataStore meta;
    final BlockStore blocks;
    final ClusterAllocator allocator;
    final CommitPipeline pipeline;
    private final CommitSyncer syncer;
    final MappingCache cache;
    final int clusterSize;
    final int clusterShift;
    final long maxVolumeClusters;
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    private final ReentrantLock admin = new ReentrantLock();
    private final Map<Long, VolumeState> volumes = new ConcurrentHashMap<>();
    /**
     * Deleted volumes whose clusters are still to be reclaimed: the R keys of the store, kept in
     * memory so a delete does not rescan the store's queue (whose tombstones pile up as volumes
     * come and go); filled at open, added to at delete, emptied by the reclaim.
     */
    private final Set<Long> pendingReclaim = ConcurrentHashMap.newKeySet();
    /** Indexes of {@link #volumes} for lookups by name and UUID (protocol layers do them per request); changed under the admin lock. */
    private final Map<String, VolumeState> volumesByName = new ConcurrentHashMap<>();
    private final Map<UUID, VolumeState> volumesByUuid = new ConcurrentHashMap<>();
    final ClusterBufferPool clusterBuffers;
    private final Options options;
    private final ScheduledExecutorService ticker;
    private final ExecutorService workers;
    private final Map<Long, FlattenTask> flattens = new ConcurrentHashMap<>();
    private final ReentrantLock reclaimLock = new ReentrantLock();
    private final AtomicBoolean commitRequested = new AtomicBoolean();
    private final Object reclaimDone = new Object();
    private volatile PoolRecord poolRecord;
    private volatile boolean closed;
    /** Where each volume gets its I/O observer (metrics); changed under the admin lock. */
    private volatile VolumeIoObservers ioObservers = VolumeIoObservers.NONE;

    private Engine(MetadataStore meta, BlockStore blocks, PoolRecord record, Options options) {
        this.meta = meta;
        this.blocks = blocks;
        this.options = options;
        this.poolRecord = record;
        this.clusterSize = record.clusterSize();
        this.clusterShift = Integer.numberOfTrailingZeros(clusterSize);
        this.maxVolumeClusters = MAX_VOLUME_BYTES >>> clusterShift;
        long capacityClusters = record.capacityBytes() >>> clusterShift;
        long dirtyBelow = (blocks.dirtyExtent() + clusterSize - 1) >>> clusterShift;
        this.allocator = new ClusterAllocator(capacityClusters, dirtyBelow);
        this.pipeline = new CommitPipeline(meta, blocks, allocator);
        this.syncer = new CommitSyncer(pipeline);
        this.cache = new MappingCache(meta, pipeline, options.cacheBytes() / (MapPage.SIZE * 16L), this::requestCommit);
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock();
        }
        this.clusterBuffers = new ClusterBufferPool(clusterSize, 64);
        if (options.background()) {
            ticker = Executors.newSingleThreadScheduledExecutor(daemon("depot-commit"));
            ticker.scheduleWithFixedDelay(this::backgroundCommit, options.commitIntervalMillis(),
                    options.commitIntervalMillis(), TimeUnit.MILLISECONDS);
            workers = Executors.newFixedThreadPool(2, daemon("depot-worker"));
        } else {
            ticker = null;
            workers = null;
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    // ---------------------------------------------------------------- create / open / close

    /** The metadata store and the commits over it, for the catalog of the layers above. */
    public MetadataStore metadata() { return meta; }

    public CommitSyncer commitSyncer() { return syncer; }

    /** Formats an empty pool on the given stores. */
    public static Engine create(MetadataStore meta, BlockStore blocks, int clusterSize, long capacityBytes, Options options) {
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
        return open(meta, blocks, options);
    }

    /** Opens a pool: loads volumes and snapshots, rebuilds the free-space map from the mappings. */
    public static Engine open(MetadataStore meta, BlockStore blocks, Options options) {
        byte[] raw = meta.get(Keys.pool());
        if (raw == null) {
            throw new PoolFormatException("no pool here (missing pool record)");
        }
        long started = System.nanoTime();
        Engine engine = new Engine(meta, blocks, PoolRecord.decode(raw), options);
        engine.load();
        log.info("pool {} opened: {} volumes, {} of {} clusters in use ({} KiB each), rebuilt in {} ms",
                engine.poolRecord.uuid(), engine.volumes.size(), engine.allocator.usedClusters(),
                engine.allocator.capacityClusters(), engine.clusterSize >> 10, (System.nanoTime() - started) / 1_000_000);
        engine.resumeBackgroundWork();
        return engine;
    }

    private void load() {
        pendingReclaim.addAll(reclaimQueue());
        Map<Long, VolumeRecord> records = new HashMap<>();
        meta.scan(Keys.prefix(Keys.VOLUME), Keys.prefixEnd(Keys.VOLUME), (k, v) -> {
            VolumeRecord r = VolumeRecord.decode(v);
            records.put(r.id(), r);
            index(new VolumeState(this, r));
            return true;
        });
        for (VolumeRecord r : records.values()) {
            if (r.originVolume() != 0) {
                VolumeState origin = volumes.get(r.originVolume());
                if (origin == null) {
                    throw new PoolFormatException("volume " + r.name() + " is a clone of missing volume " + r.originVolume());
                }
                volumes.get(r.id()).origin = origin;
            }
        }
        meta.scan(Keys.prefix(Keys.SNAPSHOT), Keys.prefixEnd(Keys.SNAPSHOT), (k, v) -> {
            VolumeState vs = volumes.get(Keys.field(k, 0));
            if (vs != null) {
                vs.snapshots.put(Keys.field(k, 1), SnapshotRecord.decode(v));
            }
            return true;
        });
        long[] last = {-1, -1, MappingValue.NONE};   // volume, cluster, value of the newest entry seen
        meta.scan(Keys.prefix(Keys.MAPPING), Keys.prefixEnd(Keys.MAPPING), (k, v) -> {
            long vol = Keys.field(k, 0);
            long cluster = Keys.field(k, 1);
            long value = MappingValue.decode(v);
            if (MappingValue.isData(value) && !allocator.markUsed(MappingValue.phys(value))) {
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
        allocator.finishRebuild();
    }

    private void countHead(long[] last) {
        VolumeState vs = volumes.get(last[0]);
        if (vs != null && MappingValue.isData(last[2])) {
            vs.headClusters.incrementAndGet();
        }
    }

    private void resumeBackgroundWork() {
        if (workers == null) {
            return;
        }
        if (!pendingReclaim.isEmpty()) {
            workers.submit(this::reclaimAll);
        }
        for (VolumeState v : volumes.values()) {
            if (v.flattening && v.origin != null) {
                startFlatten(v);
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (FlattenTask t : flattens.values()) {
            t.cancel();
        }
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
            pipeline.flush();
        } finally {
            syncer.close();
            pipeline.close();
            meta.close();
            blocks.close();
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

    /**
     * The clusters in [from, to) that an unmap must visit: those with a mapping of their own (committed,
     * or staged and so in a cached page) and, for a clone, those its origin chain maps. Everything else
     * already reads as zeros, so discarding a huge empty range costs nothing.
     */
    Roaring64NavigableMap unmapCandidates(VolumeState v, long from, long to) {
        Roaring64NavigableMap set = new Roaring64NavigableMap();
        meta.scan(Keys.mapping(v.id, from, 0), Keys.mapping(v.id, to, 0), (k, value) -> {
            set.addLong(Keys.field(k, 1));
            return true;
        });
        cache.forEachCachedMapping(v.pages, from, to, set::addLong);
        for (VolumeState o = v.origin; o != null; o = o.origin) {
            meta.scan(Keys.mapping(o.id, from, 0), Keys.mapping(o.id, to, 0), (k, value) -> {
                set.addLong(Keys.field(k, 1));
                return true;
            });
        }
        return set;
    }

    private void backgroundCommit() {
        try {
            pipeline.commitIfStaged();
        } catch (RuntimeException e) {
            log.error("background commit failed; the pool refuses further writes until it is reopened", e);
        }
    }

    // ---------------------------------------------------------------- helpers for VolumeState

    ReentrantLock stripe(long volume, long cluster) {
        return stripes[stripeIndex(volume, cluster)];
    }

    private static int stripeIndex(long volume, long cluster) {
        long h = (volume * 0x9E3779B97F4A7C15L) ^ (cluster * 0xC2B2AE3D27D4EB4FL);
        return (int) ((h ^ (h >>> 29)) & (STRIPES - 1));
    }

    /** The distinct stripe locks covering clusters first..last, in a fixed order (no deadlock). */
    ReentrantLock[] stripesFor(long volume, long first, long last) {
        int[] idx = new int[(int) Math.min(STRIPES, last - first + 1)];
        int n = 0;
        for (long c = first; c <= last && n < STRIPES; c++) {
            idx[n++] = stripeIndex(volume, c);
        }
        int[] sorted = java.util.Arrays.stream(idx, 0, n).sorted().distinct().toArray();
        ReentrantLock[] out = new ReentrantLock[sorted.length];
        for (int i = 0; i < sorted.length; i++) {
            out[i] = stripes[sorted[i]];
        }
        return out;
    }

    /** One free cluster; {@code whole}: the caller writes all of it (see {@link ClusterAllocator#allocate(boolean)}). */
    ClusterAllocator.Allocation allocate(boolean whole) {
        try {
            return allocator.allocate(whole);
        } catch (OutOfSpaceException full) {
            // clusters freed since the last commit become reusable once that commit is durable
            pipeline.flush();
            return allocator.allocate(whole);
        }
    }

    void readPhysical(long phys, int within, int length, ByteBuffer dst) {
        int limit = dst.limit();
        dst.limit(dst.position() + length);
        try {
            blocks.read(dst, (phys << clusterShift) + within);
        } finally {
            dst.limit(limit);
        }
    }

    /** As {@link #readPhysical} if the bytes are in the OS page cache (no disk wait), else false with {@code dst} untouched. */
    boolean readPhysicalIfCached(long phys, int within, int length, ByteBuffer dst) {
        if (!blocks.isCached((phys << clusterShift) + within, length)) {
            return false;
        }
        readPhysical(phys, within, length, dst);
        return true;
    }

    void writePhysical(long phys, int within, int length, ByteBuffer src) {
        pipeline.throwIfFailed();
        int limit = src.limit();
        src.limit(src.position() + length);
        try {
            blocks.write(src, (phys << clusterShift) + within);
            pipeline.noteDataWrite();
        } finally {
            src.limit(limit);
        }
    }


    ByteBuffer zeros(int length) {
        return ZEROS.slice(0, length);
    }

    /** Appends {@code length} zero bytes to {@code dst} (bulk copies from a shared zero buffer). */
    static void putZeros(ByteBuffer dst, int length) {
        int pos = dst.position();
        int end = pos + length;
        while (pos < end) {
            int n = Math.min(end - pos, ZEROS.capacity());
            dst.put(pos, ZEROS, 0, n);
            pos += n;
        }
        dst.position(end);
    }

    // ---------------------------------------------------------------- volumes

    /** Takes the admin lock; refuses changes once a failed commit has made the pool read-only. */
    private void lockAdmin() {
        admin.lock();
        try {
            pipeline.throwIfFailed();
        } catch (RuntimeException e) {
            admin.unlock();
            throw e;
        }
    }

    public int clusterSize() { return clusterSize; }

    public PoolRecord poolRecord() { return poolRecord; }

    public VolumeState createVolume(String name, long sizeBytes) {
        checkName(name);
        checkSize(sizeBytes);
        lockAdmin();
        try {
            requireFreeName(name);
            return insertVolume(name, sizeBytes, null, 0, false);
        } finally {
            admin.unlock();
        }
    }

    private VolumeState insertVolume(String name, long sizeBytes, VolumeState origin, long originEpoch, boolean flattening) {
        PoolRecord p = poolRecord;
        long id = p.nextVolumeId();
        VolumeRecord r = new VolumeRecord(id, UUID.randomUUID(), name, sizeBytes, 1,
                origin == null ? 0 : origin.id, originEpoch, flattening, System.currentTimeMillis());
        PoolRecord next = p.withNextVolumeId(id + 1);
        meta.write(new MetaBatch().put(Keys.volume(id), r.encode()).put(Keys.pool(), next.encode()));
        poolRecord = next;
        VolumeState vs = new VolumeState(this, r);
        vs.origin = origin;
        index(vs);
        log.info("created volume {} ({}), {} bytes{}", name, r.uuid(), sizeBytes,
                origin == null ? "" : ", clone of " + origin.name + " at epoch " + originEpoch);
        return vs;
    }

    public List<VolumeState> volumes() {
        List<VolumeState> list = new ArrayList<>(volumes.values());
        list.sort(Comparator.comparingLong(v -> v.id));
        return list;
    }

    public VolumeState volume(String name) {
        VolumeState v = name == null ? null : volumesByName.get(name);
        if (v == null) {
            throw new NoSuchVolumeException("no volume named '" + name + "'");
        }
        return v;
    }

    public VolumeState volume(UUID uuid) {
        VolumeState v = uuid == null ? null : volumesByUuid.get(uuid);
        if (v == null) {
            throw new NoSuchVolumeException("no volume with id " + uuid);
        }
        return v;
    }

    private void index(VolumeState v) {
        v.ioObserver = ioObservers.open(v.name);
        volumes.put(v.id, v);
        volumesByName.put(v.name, v);
        volumesByUuid.put(v.uuid, v);
    }

    /** Gives every volume, those open now and those to come, an I/O observer from {@code observers}. */
    public void observeIo(VolumeIoObservers observers) {
        lockAdmin();
        try {
            VolumeIoObservers old = ioObservers;
            ioObservers = observers;
            for (VolumeState v : volumes.values()) {
                old.close(v.ioObserver);
                v.ioObserver = observers.open(v.name);
            }
        } finally {
            admin.unlock();
        }
    }

    public void rename(VolumeState v, String newName) {
        checkName(newName);
        lockAdmin();
        try {
            v.checkAlive();
            if (v.name.equals(newName)) {
                return;
            }
            requireFreeName(newName);
            String old = v.name;
            v.name = newName;
            try {
                persist(v);
            } catch (RuntimeException e) {
                v.name = old; // the stored record still has the old name
                throw e;
            }
            volumesByName.remove(old, v);
            volumesByName.put(newName, v);
            ioObservers.close(v.ioObserver);
            v.ioObserver = ioObservers.open(newName);
            log.info("renamed volume {} to {}", old, newName);
        } finally {
            admin.unlock();
        }
    }

    /** Grows a volume, or shrinks it when {@code allowShrink} (the cut-off data is unmapped). */
    public void resize(VolumeState v, long newSize, boolean allowShrink) {
        checkSize(newSize);
        lockAdmin();
        try {
            v.checkAlive();
            long old = v.sizeBytes;
            if (newSize < old && !allowShrink) {
                throw new InvalidIoException("shrinking volume " + v.name + " from " + old + " to " + newSize
                        + " bytes discards data; ask for it explicitly");
            }
            if (newSize < old) {
                // cut the tail with I/O drained; the size changes only once the tail is gone (zeroing a
                // partial end cluster may need a free cluster and fail out of space: then nothing changed size)
                v.ioLock.writeLock().lock();
                try {
                    v.unmapRange(newSize, old - newSize);
                    v.sizeBytes = newSize;
                } finally {
                    v.ioLock.writeLock().unlock();
                }
                pipeline.flush();
            } else {
                v.sizeBytes = newSize;
            }
            persist(v);
            log.info("resized volume {} from {} to {} bytes", v.name, old, newSize);
        } finally {
            admin.unlock();
        }
    }

    /**
     * Deletes a volume at once; its clusters are reclaimed in the background. Refused while a linked
     * clone still reads through one of its snapshots.
     */
    public void deleteVolume(VolumeState v) {
        lockAdmin();
        try {
            v.checkAlive();
            List<VolumeState> clones = dependents(v, -1);
            if (!clones.isEmpty()) {
                throw new DependentClonesException("volume " + v.name + " has linked clones ("
                        + clones.stream().map(c -> c.name).toList() + "); delete or flatten them first");
            }
            FlattenTask running = flattens.remove(v.id);
            if (running != null) {
                running.cancel();
                running.awaitQuietly();
            }
            v.ioLock.writeLock().lock();
            try {
                v.deleted = true;
                v.forgetSnapshotPages(-1);
                // every staged mapping of this volume reaches the store with (and so before reclaim sees) the deletion
                pipeline.stage(new MetaBatch().delete(Keys.volume(v.id)).put(Keys.reclaim(v.id), new byte[0]), null);
                pipeline.flush();
                pendingReclaim.add(v.id);
            } finally {
                v.ioLock.writeLock().unlock();
            }
            volumes.remove(v.id);
            volumesByName.remove(v.name, v);
            volumesByUuid.remove(v.uuid, v);
            cache.removeDirectory(v.id);
            ioObservers.close(v.ioObserver);
            v.ioObserver = VolumeIoObserver.NONE;
            log.info("deleted volume {} ({}); its {} bytes are reclaimed in the background", v.name, v.uuid, v.allocatedBytes());
        } finally {
            admin.unlock();
        }
        if (workers != null) {
            workers.submit(this::reclaimAll);
        }
    }

    private List<Long> reclaimQueue() {
        List<Long> ids = new ArrayList<>();
        meta.scan(Keys.prefix(Keys.RECLAIM), Keys.prefixEnd(Keys.RECLAIM), (k, v) -> ids.add(Keys.field(k, 0)));
        return ids;
    }

    /**
     * Frees the clusters of deleted volumes, in bounded atomic steps. Safe to interrupt at any point.
     * One run at a time: two runs scanning the same volume could free a cluster twice.
     */
    public void reclaimAll() {
        reclaimLock.lock();
        try {
            reclaimQueued();
        } finally {
            reclaimLock.unlock();
        }
        synchronized (reclaimDone) {
            reclaimDone.notifyAll();
        }
    }

    /** Waits until no deleted volume awaits reclaim; false on timeout. */
    public boolean awaitReclaim(long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        synchronized (reclaimDone) {
            while (!pendingReclaim.isEmpty()) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    return false;
                }
                reclaimDone.wait(left);
            }
        }
        return true;
    }

    private void reclaimQueued() {
        List<Long> queue = new ArrayList<>(pendingReclaim);
        java.util.Collections.sort(queue);
        for (long vol : queue) {
            if (closed) {
                return;
            }
            long freed = 0;
            for (byte type : new byte[] {Keys.MAPPING, Keys.DEAD, Keys.SNAPSHOT}) {
                while (!closed) {
                    MetaBatch batch = new MetaBatch();
                    RoaringBitmap frees = new RoaringBitmap();
                    meta.scan(Keys.prefix(type, vol), Keys.prefixEnd(type, vol), (k, v) -> {
                        batch.delete(k);
                        if (type == Keys.MAPPING && MappingValue.isData(MappingValue.decode(v))) {
                            frees.add((int) MappingValue.phys(MappingValue.decode(v)));
                        }
                        return batch.size() < 8192;
                    });
                    if (batch.isEmpty()) {
                        break;
                    }
                    freed += frees.getCardinality();
                    pipeline.stage(batch, frees);
                    pipeline.flush();
                }
            }
            if (closed) {
                return;
            }
            // its frees are durable (each step flushed): the queue entry can go with the next group commit;
            // should it not reach the store before a crash, the next open reclaims nothing and drops it
            pipeline.stage(new MetaBatch().delete(Keys.reclaim(vol)), null);
            pendingReclaim.remove(vol);
            log.info("reclaimed {} clusters of deleted volume {}", freed, vol);
        }
    }

    private void persist(VolumeState v) {
        meta.write(new MetaBatch().put(Keys.volume(v.id), v.record().encode()));
    }

    private void requireFreeName(String name) {
        if (volumesByName.containsKey(name)) {
            throw new NameInUseException("a volume named '" + name + "' already exists");
        }
    }

    private static void checkName(String name) {
        if (name == null || name.isEmpty() || name.length() > 128 || !name.matches("[A-Za-z0-9._:-]+") || name.startsWith(".")) {
            throw new InvalidIoException("invalid name '" + name + "': use 1-128 letters, digits, '.', '_', ':' or '-', not starting with '.'");
        }
    }

    private static void checkSize(long size) {
        if (size <= 0 || size % 512 != 0 || size > MAX_VOLUME_BYTES) {
            throw new InvalidIoException("volume size must be a positive multiple of 512 bytes up to 64 TiB, not " + size);
        }
    }

    /** Volumes that read through {@code origin}'s snapshot at {@code epoch} (any of its snapshots if epoch is -1). */
    private List<VolumeState> dependents(VolumeState origin, long epoch) {
        List<VolumeState> out = new ArrayList<>();
        for (VolumeState v : volumes.values()) {
            if (v.origin == origin && (epoch < 0 || v.originEpoch == epoch)) {
                out.add(v);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- snapshots

    /** A snapshot and the volume it belongs to. */
    public record SnapshotRef(VolumeState volume, long epoch, SnapshotRecord record) {}

    public SnapshotRef snapshot(VolumeState v, String name) {
        v.checkAlive();
        for (Map.Entry<Long, SnapshotRecord> e : v.snapshots.entrySet()) {
            if (e.getValue().name().equals(name)) {
                return new SnapshotRef(v, e.getKey(), e.getValue());
            }
        }
        throw new NoSuchSnapshotException("volume " + v.name + " has no snapshot named '" + name + "'");
    }

    public List<SnapshotRef> snapshots(VolumeState v) {
        v.checkAlive();
        List<SnapshotRef> out = new ArrayList<>();
        v.snapshots.forEach((epoch, r) -> out.add(new SnapshotRef(v, epoch, r)));
        return out;
    }

    /**
     * Snapshots several volumes at one instant (a consistency group; one volume is a group of one).
     * Cost is independent of volume size: drain in-flight I/O, one commit, bump each epoch.
     */
    public List<SnapshotRef> snapshotGroup(List<VolumeState> group, String name) {
        checkName(name);
        List<VolumeState> sorted = group.stream().distinct().sorted(Comparator.comparingLong(v -> v.id)).toList();
        lockAdmin();
        try {
            for (VolumeState v : sorted) {
                v.checkAlive();
                if (v.snapshots.values().stream().anyMatch(s -> s.name().equals(name))) {
                    throw new NameInUseException("volume " + v.name + " already has a snapshot named '" + name + "'");
                }
            }
            UUID groupId = sorted.size() > 1 ? UUID.randomUUID() : null;
            for (VolumeState v : sorted) {
                v.ioLock.writeLock().lock();
            }
            try {
                MetaBatch batch = new MetaBatch();
                List<SnapshotRef> refs = new ArrayList<>();
                long now = System.currentTimeMillis();
                for (VolumeState v : sorted) {
                    long frozen = v.epoch;
                    SnapshotRecord r = new SnapshotRecord(UUID.randomUUID(), name, v.sizeBytes, now, groupId);
                    batch.put(Keys.snapshot(v.id, frozen), r.encode());
                    VolumeRecord vr = v.record();
                    batch.put(Keys.volume(v.id), new VolumeRecord(vr.id(), vr.uuid(), vr.name(), vr.sizeBytes(), frozen + 1,
                            vr.originVolume(), vr.originEpoch(), vr.flattening(), vr.createdMillis()).encode());
                    refs.add(new SnapshotRef(v, frozen, r));
                }
                // one group commit carries what each volume wrote before this instant and the snapshot records
                pipeline.stage(batch, null);
                pipeline.flush();
                for (SnapshotRef ref : refs) {
                    ref.volume().snapshots.put(ref.epoch(), ref.record());
                    ref.volume().epoch = ref.epoch() + 1;
                }
                return refs;
            } finally {
                for (int i = sorted.size() - 1; i >= 0; i--) {
                    sorted.get(i).ioLock.writeLock().unlock();
                }
            }
        } finally {
            admin.unlock();
        }
    }

    /**
     * Deletes a snapshot, freeing exactly the clusters only it could see: those on the deadlist of the
     * interval up to the next snapshot (or the head) and born after the previous snapshot.
     */
    public long deleteSnapshot(SnapshotRef snap) {
        VolumeState v = snap.volume();
        lockAdmin();
        try {
            v.checkAlive();
            if (!v.snapshots.containsKey(snap.epoch())) {
                throw new NoSuchSnapshotException("snapshot " + snap.record().name() + " of " + v.name + " no longer exists");
            }
            List<VolumeState> clones = dependents(v, snap.epoch());
            if (!clones.isEmpty()) {
                throw new DependentClonesException("snapshot " + v.name + "@" + snap.record().name() + " has linked clones "
                        + clones.stream().map(c -> c.name).toList() + "; delete or flatten them first");
            }
            v.ioLock.writeLock().lock();
            try {
                pipeline.flush();   // the deadlist entries of in-flight writes must be in the store before we scan it
                MetaBatch batch = new MetaBatch();
                RoaringBitmap frees = new RoaringBitmap();
                uniqueToSnapshot(v, snap.epoch(), (k, value) -> {
                    batch.delete(k);
                    batch.delete(Keys.mapping(v.id, Keys.field(k, 2), Keys.field(k, 3)));
                    if (MappingValue.isData(value)) {
                        frees.add((int) MappingValue.phys(value));
                    }
                });
                batch.delete(Keys.snapshot(v.id, snap.epoch()));
                pipeline.stage(batch, frees);
                pipeline.flush();
                v.snapshots.remove(snap.epoch());
                v.forgetSnapshotPages(snap.epoch());
                log.info("deleted snapshot {}@{}, freed {} clusters", v.name, snap.record().name(), frees.getCardinality());
                return (long) frees.getCardinality() * clusterSize;
            } finally {
                v.ioLock.writeLock().unlock();
            }
        } finally {
            admin.unlock();
        }
    }

    /** Bytes that deleting this snapshot would free. Cost proportional to its deadlist. */
    public long uniqueBytes(SnapshotRef snap) {
        long[] n = {0};
        uniqueToSnapshot(snap.volume(), snap.epoch(), (k, value) -> {
            if (MappingValue.isData(value)) {
                n[0]++;
            }
        });
        return n[0] * clusterSize;
    }

    private interface DeadVisitor { void visit(byte[] deadKey, long value); }

    /** Visits the deadlist entries only the snapshot at {@code epoch} sees (committed state). */
    private void uniqueToSnapshot(VolumeState v, long epoch, DeadVisitor visitor) {
        Long previous = v.snapshots.lowerKey(epoch);
        Long next = v.snapshots.higherKey(epoch);
        long prev = previous == null ? -1 : previous;
        long upTo = next == null ? Long.MAX_VALUE - 1 : next;
        meta.scan(Keys.prefix(Keys.DEAD, v.id, epoch + 1), Keys.prefix(Keys.DEAD, v.id, upTo + 1), (k, value) -> {
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
    public void rollback(SnapshotRef snap, boolean destroyNewer) {
        VolumeState v = snap.volume();
        lockAdmin();
        try {
            v.checkAlive();
            List<Long> newer = new ArrayList<>(v.snapshots.tailMap(snap.epoch(), false).keySet());
            if (!newer.isEmpty() && !destroyNewer) {
                throw new InvalidIoException("volume " + v.name + " has " + newer.size() + " snapshot(s) newer than "
                        + snap.record().name() + "; delete them first or ask to destroy them");
            }
            for (int i = newer.size() - 1; i >= 0; i--) {
                deleteSnapshot(new SnapshotRef(v, newer.get(i), v.snapshots.get(newer.get(i))));
            }
            v.ioLock.writeLock().lock();
            try {
                pipeline.flush();
                MetaBatch batch = new MetaBatch();
                RoaringBitmap frees = new RoaringBitmap();
                long s = snap.epoch();
                meta.scan(Keys.prefix(Keys.MAPPING, v.id), Keys.prefixEnd(Keys.MAPPING, v.id), (k, value) -> {
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
                meta.scan(Keys.prefix(Keys.DEAD, v.id, s + 1), Keys.prefixEnd(Keys.DEAD, v.id), (k, value) -> batch.delete(k) != null);
                long size = snap.record().sizeBytes();
                v.sizeBytes = size;
                batch.put(Keys.volume(v.id), v.record().encode());
                pipeline.stage(batch, frees);
                pipeline.flush();
                cache.dropVolume(v.pages);
                v.forgetSnapshotPages(-1);   // the surviving snapshots' views did not change, but nothing is lost by reloading them
                v.headClusters.set(countHeadClusters(v));
                log.info("rolled volume {} back to snapshot {}, freed {} clusters", v.name, snap.record().name(), frees.getCardinality());
            } finally {
                v.ioLock.writeLock().unlock();
            }
        } finally {
            admin.unlock();
        }
    }

    private long countHeadClusters(VolumeState v) {
        long[] state = {-1, MappingValue.NONE, 0};   // cluster, newest value, count
        meta.scan(Keys.prefix(Keys.MAPPING, v.id), Keys.prefixEnd(Keys.MAPPING, v.id), (k, value) -> {
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

    // ---------------------------------------------------------------- clones

    /**
     * A writable clone of a snapshot. A linked clone reads through to the snapshot for every cluster
     * it has not written. A full clone starts the same way, usable at once, and a background task
     * copies the clusters it still shares (thin: holes stay holes) until it no longer depends on the origin.
     */
    public VolumeState clone(SnapshotRef snap, String name, boolean full) {
        checkName(name);
        VolumeState origin = snap.volume();
        VolumeState clone;
        lockAdmin();
        try {
            origin.checkAlive();
            if (!origin.snapshots.containsKey(snap.epoch())) {
                throw new NoSuchSnapshotException("snapshot " + snap.record().name() + " of " + origin.name + " no longer exists");
            }
            requireFreeName(name);
            clone = insertVolume(name, snap.record().sizeBytes(), origin, snap.epoch(), full);
        } finally {
            admin.unlock();
        }
        if (full) {
            startFlatten(clone);
        }
        return clone;
    }

    /** Progress of a flatten: clusters done of clusters to visit; cancellable, awaitable. */
    public final class FlattenTask {
        final VolumeState clone;
        volatile long total = -1;
        volatile long done;
        volatile boolean cancelled;
        volatile boolean finished;
        volatile Throwable error;
        private final java.util.concurrent.CountDownLatch end = new java.util.concurrent.CountDownLatch(1);

        FlattenTask(VolumeState clone) { this.clone = clone; }

        public long total() { return total; }

        public long done() { return done; }

        public boolean isFinished() { return finished; }

        public boolean isCancelled() { return cancelled; }

        public Throwable error() { return error; }

        public void cancel() { cancelled = true; }

        boolean hasEnded() { return end.getCount() == 0; }

        public boolean await(long timeout, TimeUnit unit) throws InterruptedException { return end.await(timeout, unit); }

        void awaitQuietly() {
            try {
                end.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void run() {
            try {
                flatten(this);
            } catch (Throwable t) {
                error = t;
                log.error("flatten of volume {} failed: {}", clone.name, t.toString());
            } finally {
                end.countDown();   // the task stays visible (progress, error) until the next flatten or a delete
            }
        }
    }

    /** Starts (or returns the running) flatten of a linked clone. */
    public FlattenTask startFlatten(VolumeState clone) {
        clone.checkAlive();
        if (clone.origin == null) {
            throw new InvalidIoException("volume " + clone.name + " is not a linked clone");
        }
        FlattenTask task = new FlattenTask(clone);
        FlattenTask running = flattens.compute(clone.id, (id, last) -> last != null && !last.hasEnded() ? last : task);
        if (running != task) {
            return running;
        }
        if (!clone.flattening) {
            clone.flattening = true;
            persist(clone);
        }
        if (workers != null) {
            workers.submit(task::run);
        } else {
            task.run();
        }
        return task;
    }

    /** The running flatten of a clone, or the last one that ended (to read its outcome), or null. */
    public FlattenTask flattenTask(VolumeState clone) {
        return flattens.get(clone.id);
    }

    private void flatten(FlattenTask task) {
        VolumeState clone = task.clone;
        Roaring64NavigableMap shared = new Roaring64NavigableMap();
        // the head may have shrunk since older snapshots were taken: they still read their tails through the origin
        long largest = clone.sizeBytes;
        for (SnapshotRecord r : clone.snapshots.values()) {
            largest = Math.max(largest, r.sizeBytes());
        }
        long sizeClusters = (largest + clusterSize - 1) >>> clusterShift;
        for (VolumeState o = clone.origin; o != null; o = o.origin) {
            meta.scan(Keys.prefix(Keys.MAPPING, o.id), Keys.prefixEnd(Keys.MAPPING, o.id), (k, value) -> {
                long c = Keys.field(k, 1);
                if (c < sizeClusters) {
                    shared.addLong(c);
                }
                return true;
            });
        }
        task.total = shared.getLongCardinality();
        log.info("flattening volume {}: {} clusters to visit", clone.name, task.total);
        var it = shared.getLongIterator();
        while (it.hasNext()) {
            if (task.cancelled || closed || clone.deleted) {
                log.info("flatten of volume {} stopped at {}/{}; it stays a linked clone", clone.name, task.done, task.total);
                return;
            }
            copyShared(clone, it.next());
            task.done++;
        }
        clone.ioLock.writeLock().lock();
        try {
            pipeline.flush();
            VolumeState origin = clone.origin;
            clone.origin = null;
            clone.originEpoch = 0;
            // the clone's snapshots cached "no mapping: read the origin"; they must see the copies now
            clone.forgetSnapshotPages(-1);
            clone.flattening = false;
            persist(clone);
            log.info("volume {} is now independent of {}", clone.name, origin.name);
        } finally {
            clone.ioLock.writeLock().unlock();
        }
        task.finished = true;
    }

    /** Gives the clone its own copy of one cluster it still reads from its origin. */
    private void copyShared(VolumeState clone, long cluster) {
        clone.ioLock.readLock().lock();
        try {
            clone.changeSlot(cluster, (page, i) -> {
                long own = page.values[i];
                long origin = originMapping(clone, cluster);
                if (!MappingValue.isData(origin)) {
                    return 0;   // the origin has nothing here: thin stays thin
                }
                long birth;
                long deathEpoch = -1;
                if (MappingValue.isNone(own)) {
                    birth = clone.snapshots.isEmpty() ? clone.epoch : 0;
                } else {
                    // the head has its own data; only the clone's older snapshots still need the origin's
                    long[] firstOwn = {page.births[i]};
                    meta.scan(Keys.mapping(clone.id, cluster, 0), Keys.mapping(clone.id, cluster + 1, 0), (k, value) -> {
                        firstOwn[0] = Math.min(firstOwn[0], Keys.field(k, 2));
                        return false;   // keys ascend by birth: the first is the oldest
                    });
                    if (clone.snapshots.lowerKey(firstOwn[0]) == null) {
                        return 0;
                    }
                    birth = 0;
                    deathEpoch = firstOwn[0];
                }
                ClusterAllocator.Allocation a = allocate(true);   // the copy fills the cluster
                ByteBuffer image = clusterBuffers.acquire();
                try {
                    readPhysical(MappingValue.phys(origin), 0, clusterSize, image);
                    image.flip();
                    writePhysical(a.phys(), 0, clusterSize, image);
                } finally {
                    clusterBuffers.release(image);
                }
                long nv = MappingValue.data(a.phys(), false);
                MetaBatch change = new MetaBatch().put(Keys.mapping(clone.id, cluster, birth), MappingValue.encode(nv));
                if (deathEpoch >= 0) {
                    change.put(Keys.dead(clone.id, deathEpoch, cluster, birth), MappingValue.encode(nv));
                } else {
                    page.values[i] = nv;
                    page.births[i] = birth;
                    clone.headClusters.incrementAndGet();
                }
                return pipeline.stage(change, -1);
            });
        } finally {
            clone.ioLock.readLock().unlock();
        }
    }

    /** What the clone's origin chain shows for a cluster: data, a hole, or NONE. */
    private long originMapping(VolumeState clone, long cluster) {
        VolumeState o = clone.origin;
        long at = clone.originEpoch;
        while (o != null) {
            long m = o.mappingAt(at, cluster);
            if (!MappingValue.isNone(m)) {
                return m;
            }
            at = o.originEpoch;
            o = o.origin;
        }
        return MappingValue.NONE;
    }

    // ---------------------------------------------------------------- diff

    /**
     * The clusters whose contents differ between two snapshots of a volume ({@code from} null: between
     * nothing and {@code to}, i.e. every cluster holding data). The basis of incremental backup.
     */
    public List<Extent> diff(SnapshotRef from, SnapshotRef to) {
        VolumeState v = to.volume();
        if (from != null && (from.volume() != v || from.epoch() >= to.epoch())) {
            throw new InvalidIoException("diff needs an older snapshot of the same volume as its base");
        }
        long sizeClusters = (to.record().sizeBytes() + clusterSize - 1) >>> clusterShift;
        Roaring64NavigableMap candidates = new Roaring64NavigableMap();
        long lower = from == null ? -1 : from.epoch();
        meta.scan(Keys.prefix(Keys.MAPPING, v.id), Keys.prefixEnd(Keys.MAPPING, v.id), (k, value) -> {
            long birth = Keys.field(k, 2);
            if (birth > lower && birth <= to.epoch()) {
                candidates.addLong(Keys.field(k, 1));
            }
            return true;
        });
        if (from == null) {
            for (VolumeState o = v.origin; o != null; o = o.origin) {
                meta.scan(Keys.prefix(Keys.MAPPING, o.id), Keys.prefixEnd(Keys.MAPPING, o.id), (k, value) -> {
                    candidates.addLong(Keys.field(k, 1));
                    return true;
                });
            }
        }
        List<Extent> out = new ArrayList<>();
        long size = to.record().sizeBytes();
        long runStart = -1;
        long runEnd = -1;
        boolean runData = false;
        var it = candidates.getLongIterator();
        while (it.hasNext()) {
            long c = it.next();
            if (c >= sizeClusters) {
                break;
            }
            boolean data = viewHasData(v, to.epoch(), c);
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
        long offset = first << clusterShift;
        return new Extent(offset, Math.min(end << clusterShift, size) - offset, data);
    }

    private boolean viewHasData(VolumeState v, long epoch, long cluster) {
        for (VolumeState o = v; o != null; ) {
            long m = o.mappingAt(epoch, cluster);
            if (!MappingValue.isNone(m)) {
                return MappingValue.isData(m);
            }
            epoch = o.originEpoch;
            o = o.origin;
        }
        return false;
    }

    // ---------------------------------------------------------------- space and checks

    public PoolUsage usage() {
        long provisioned = 0;
        int snaps = 0;
        for (VolumeState v : volumes.values()) {
            provisioned += v.sizeBytes;
            snaps += v.snapshots.size();
        }
        return new PoolUsage(allocator.capacityClusters() << clusterShift, allocator.usedClusters() << clusterShift,
                provisioned, clusterSize, volumes.size(), snaps);
    }

    /** Grows the pool (the data file or device must have room). */
    public void growCapacity(long capacityBytes) {
        lockAdmin();
        try {
            if (capacityBytes % clusterSize != 0 || capacityBytes < poolRecord.capacityBytes()) {
                throw new InvalidIoException("new capacity must be a multiple of the cluster size and not smaller than today's");
            }
            if (capacityBytes > blocks.maxSize()) {
                throw new InvalidIoException("capacity " + capacityBytes + " exceeds the data device (" + blocks.maxSize() + " bytes)");
            }
            PoolRecord next = poolRecord.withCapacity(capacityBytes);
            meta.write(new MetaBatch().put(Keys.pool(), next.encode()));
            poolRecord = next;
            allocator.grow(capacityBytes >>> clusterShift);
        } finally {
            admin.unlock();
        }
    }

    /** Makes everything written so far durable. */
    public void flush() {
        pipeline.flush();
    }

    public long cachePageLoads() { return cache.pageLoads(); }

    /**
     * The mapping cache's counters since the pool opened, for tests and the bench: pages loaded from the
     * store, pages evicted by the clock, pages cached now, and snapshot mapping lookups that read the
     * store directly (a snapshot that is not live has no directory).
     */
    public CacheCounters cacheCounters() {
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
        // the background reclaim changes mappings and the allocator together: keep it out while we compare them
        reclaimLock.lock();
        try {
            return verifyQuiet();
        } finally {
            reclaimLock.unlock();
        }
    }

    private List<String> verifyQuiet() {
        pipeline.flush();
        List<String> problems = new ArrayList<>();
        List<Long> reclaiming = reclaimQueue();
        java.util.Set<Slot> deadlisted = new java.util.HashSet<>();
        meta.scan(Keys.prefix(Keys.DEAD), Keys.prefixEnd(Keys.DEAD), (k, value) -> {
            long vol = Keys.field(k, 0);
            long death = Keys.field(k, 1);
            long cluster = Keys.field(k, 2);
            long birth = Keys.field(k, 3);
            deadlisted.add(new Slot(vol, cluster, birth));
            if (reclaiming.contains(vol)) {
                return true;   // a deleted volume part way through reclaim: its entries go in any order
            }
            byte[] mapped = meta.get(Keys.mapping(vol, cluster, birth));
            if (mapped == null) {
                problems.add("deadlist entry " + vol + "/" + cluster + "@" + birth + " has no mapping");
            } else if (MappingValue.decode(mapped) != MappingValue.decode(value)) {
                problems.add("deadlist entry " + vol + "/" + cluster + "@" + birth + " disagrees with its mapping");
            }
            VolumeState v = volumes.get(vol);
            if (v != null) {
                Long seenBy = v.snapshots.ceilingKey(birth);
                if (death <= birth || seenBy == null || seenBy >= death) {
                    problems.add("deadlist entry " + vol + "/" + cluster + "@" + birth + "-" + death + " is seen by no snapshot (leak)");
                }
            } else if (!reclaiming.contains(vol)) {
                problems.add("deadlist entry of unknown volume " + vol);
            }
            return true;
        });
        RoaringBitmap referenced = new RoaringBitmap();
        long capacity = allocator.capacityClusters();
        Map<Long, Long> headCounts = new HashMap<>();
        Slot[] previous = {null};
        long[] previousValue = {MappingValue.NONE};
        meta.scan(Keys.prefix(Keys.MAPPING), Keys.prefixEnd(Keys.MAPPING), (k, value) -> {
            Slot slot = new Slot(Keys.field(k, 0), Keys.field(k, 1), Keys.field(k, 2));
            long m = MappingValue.decode(value);
            VolumeState v = volumes.get(slot.vol());
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
        RoaringBitmap used = allocator.usedSnapshot();
        RoaringBitmap leaked = RoaringBitmap.andNot(used, referenced);
        RoaringBitmap unaccounted = RoaringBitmap.andNot(referenced, used);
        if (!leaked.isEmpty()) {
            problems.add(leaked.getCardinality() + " clusters in use but referenced by no mapping, e.g. " + leaked.first());
        }
        if (!unaccounted.isEmpty()) {
            problems.add(unaccounted.getCardinality() + " referenced clusters the allocator thinks free, e.g. " + unaccounted.first());
        }
        for (VolumeState v : volumes.values()) {
            long head = headCounts.getOrDefault(v.id, 0L);
            if (head != v.headClusters.get()) {
                problems.add("volume " + v.name + " counts " + v.headClusters.get() + " head clusters, store has " + head);
            }
        }
        meta.scan(Keys.prefix(Keys.SNAPSHOT), Keys.prefixEnd(Keys.SNAPSHOT), (k, value) -> {
            long vol = Keys.field(k, 0);
            if (!volumes.containsKey(vol) && !reclaiming.contains(vol)) {
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
    private static void checkRetired(Slot slot, boolean replaced, long value, java.util.Set<Slot> deadlisted,
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
