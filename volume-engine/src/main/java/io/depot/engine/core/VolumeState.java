package io.depot.engine.core;

import io.depot.engine.CompareMismatchException;
import io.depot.engine.InvalidIoException;
import io.depot.engine.NoSuchVolumeException;
import io.depot.engine.VolumeIoObserver;
import io.depot.engine.VolumeOwner;
import io.depot.engine.core.Records.SnapshotRecord;
import io.depot.engine.core.Records.VolumeRecord;
import io.depot.engine.store.MetaBatch;
import io.depot.engine.store.MetadataStore;
import org.roaringbitmap.longlong.Roaring64NavigableMap;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.Map;
import java.util.NavigableMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One volume's live state and its copy-on-write I/O path.
 *
 * <p>Every write is born at the volume's current {@link #epoch}. Taking a snapshot freezes the
 * current epoch and starts a new one, so a cluster whose newest mapping was born in the current
 * epoch is owned by the head alone and is overwritten in place (no metadata change), while an
 * older one is shared with a snapshot and is redirected to a fresh cluster on write.
 *
 * <p>Locking: I/O holds {@link #ioLock} shared and the cluster's stripe lock; snapshot, rollback
 * and delete take {@link #ioLock} exclusively ({@link #drainIo()}), which drains in-flight I/O for an instant.
 *
 * <p>Its fields are private: the administrative collaborators ({@link Volumes}, {@link Snapshots},
 * {@link Clones}, {@link Reclaimer}) change them only through the transitions below, each named for
 * what happened, with the admin lock held and, where I/O could see the change, I/O drained.
 */
public final class VolumeState {
    private final PoolContext ctx;
    // the geometry, cache and pipeline copied from ctx: the I/O path reads them without a hop
    private final int clusterSize;
    private final int clusterShift;
    private final MappingCache cache;
    private final CommitPipeline pipeline;

    private final long id;
    private final UUID uuid;
    private final long createdMillis;
    private volatile VolumeOwner owner;
    private final MappingCache.Directory pages;
    private final ReentrantReadWriteLock ioLock = new ReentrantReadWriteLock();
    /** Live snapshots by the epoch they froze. */
    private final ConcurrentSkipListMap<Long, SnapshotRecord> snapshots = new ConcurrentSkipListMap<>();
    private final NavigableMap<Long, SnapshotRecord> snapshotsView = Collections.unmodifiableNavigableMap(snapshots);
    /** Clusters mapped to data in the head view, owned or shared. */
    private final AtomicLong headClusters = new AtomicLong();
    /** The cached pages and reads of the live snapshots. */
    private final SnapshotViews views;

    private volatile String name;
    private volatile long sizeBytes;
    private volatile long epoch;
    private volatile VolumeState origin;
    private volatile long originEpoch;
    private volatile boolean flattening;
    private volatile boolean deleted;
    /** Told about completed head I/O by {@link io.depot.engine.Volume}; set by {@link Volumes} (metrics). */
    private volatile VolumeIoObserver ioObserver = VolumeIoObserver.NONE;

    /** The state of a stored volume; a clone's origin is attached once every volume is loaded. */
    VolumeState(PoolContext ctx, VolumeRecord r) {
        this.ctx = ctx;
        this.clusterSize = ctx.clusterSize;
        this.clusterShift = ctx.clusterShift;
        this.cache = ctx.cache;
        this.pipeline = ctx.pipeline;
        this.id = r.id();
        this.uuid = r.uuid();
        this.createdMillis = r.createdMillis();
        this.owner = r.owner();
        this.name = r.name();
        this.sizeBytes = r.sizeBytes();
        this.epoch = r.epoch();
        this.originEpoch = r.originEpoch();
        this.flattening = r.flattening();
        this.pages = cache.directory(id, ctx.maxVolumeClusters);
        this.views = new SnapshotViews(this, ctx, snapshots);
    }

    /** The record to store for this volume as it is now. */
    VolumeRecord record() {
        return record(epoch);
    }

    /** The record to store for this volume with its next writes born at {@code nextEpoch}. */
    VolumeRecord record(long nextEpoch) {
        VolumeState o = origin;
        return new VolumeRecord(id, uuid, name, sizeBytes, nextEpoch, o == null ? 0 : o.id, o == null ? 0 : originEpoch,
                flattening, createdMillis, owner);
    }

    public long id() { return id; }

    public UUID uuid() { return uuid; }

    public String name() { return name; }

    public long sizeBytes() { return sizeBytes; }

    public VolumeOwner owner() { return owner; }

    public boolean hasOrigin() { return origin != null; }

    public VolumeIoObserver io() { return ioObserver; }

    /** The epoch this volume's writes are born in now. */
    long epoch() { return epoch; }

    /** The volume a linked clone reads through to, or null. */
    VolumeState origin() { return origin; }

    /** The epoch of the origin snapshot a linked clone reads through to. */
    long originEpoch() { return originEpoch; }

    boolean isFlattening() { return flattening; }

    boolean isDeleted() { return deleted; }

    /** Live snapshots by the epoch they froze (read-only view). */
    NavigableMap<Long, SnapshotRecord> snapshots() { return snapshotsView; }

    /** The head's mapping-page directory. */
    MappingCache.Directory pages() { return pages; }

    long headClusters() { return headClusters.get(); }

    // ---------------------------------------------------------------- state changes (admin paths)

    /** Makes this volume a linked clone reading through {@code origin} (at load or creation). */
    void attachOrigin(VolumeState origin) { this.origin = origin; }

    /**
     * Ends a flatten: the volume no longer reads through an origin. Called with I/O drained; its
     * snapshots cached "no mapping: read the origin" and must see the copies now.
     */
    void detachFromOrigin() {
        origin = null;
        originEpoch = 0;
        views.forget(-1);
        flattening = false;
    }

    /** Marks a flatten as under way (survives reopen once persisted); false if it already was. */
    boolean markFlattening() {
        if (flattening) {
            return false;
        }
        flattening = true;
        return true;
    }

    void renameTo(String newName) { this.name = newName; }

    void ownedBy(VolumeOwner newOwner) { this.owner = newOwner; }

    /** Sets the size (a shrink cuts the tail first, with I/O drained). */
    void resizeTo(long bytes) { this.sizeBytes = bytes; }

    /** A snapshot froze {@code frozen}: it joins the live snapshots and later writes are born in the next epoch. */
    void snapshotTaken(long frozen, SnapshotRecord r) {
        snapshots.put(frozen, r);
        epoch = frozen + 1;
    }

    /** A stored snapshot found when the pool opens. */
    void snapshotLoaded(long frozen, SnapshotRecord r) { snapshots.put(frozen, r); }

    /** The snapshot that froze {@code frozen} is gone; its cached view goes with it. */
    void snapshotDeleted(long frozen) {
        snapshots.remove(frozen);
        views.forget(frozen);
    }

    /** The volume is deleted: later calls fail, its snapshot views are dropped. Called with I/O drained. */
    void markDeleted() {
        deleted = true;
        views.forget(-1);
    }

    /** One more cluster of the head maps data (counted at open, or by a flatten's copy). */
    void headClusterAdded() { headClusters.incrementAndGet(); }

    /**
     * The head was rolled back to a snapshot (its mappings are the store's again, I/O drained): the
     * snapshots' views are reloaded to be safe and the head's data clusters recounted.
     */
    void rolledBack(long headClusterCount) {
        views.forget(-1);
        headClusters.set(headClusterCount);
    }

    void observeWith(VolumeIoObserver observer) { this.ioObserver = observer; }

    /** Drains the volume's in-flight I/O and holds new I/O off until {@link #resumeIo()}. */
    void drainIo() { ioLock.writeLock().lock(); }

    void resumeIo() { ioLock.writeLock().unlock(); }

    /** Holds off {@link #drainIo()} while a background change (a flatten's copy) runs like an I/O. */
    void enterIo() { ioLock.readLock().lock(); }

    /** {@link #enterIo()} only if no drain holds the volume now. */
    boolean tryEnterIo() { return ioLock.readLock().tryLock(); }

    void exitIo() { ioLock.readLock().unlock(); }

    // ---------------------------------------------------------------- head I/O

    /** Reads {@code dst.remaining()} bytes of the head at {@code offset}. */
    public void read(long offset, ByteBuffer dst) {
        read(offset, dst.remaining(), ReadSink.into(ctx.blocks, dst));
    }

    /** Walks {@code length} bytes of the head at {@code offset} into {@code dst} (copied or planned). */
    void read(long offset, int length, ReadSink dst) {
        ioLock.readLock().lock();
        try {
            checkRange(offset, length);
            if (length == 0) {
                return;
            }
            long first = offset >>> clusterShift;
            long last = (offset + length - 1) >>> clusterShift;
            if (first == last) {
                readHeadCluster(first, (int) (offset & (clusterSize - 1)), length, dst);
                return;
            }
            // a multi-cluster read holds all its stripes (in index order) so contiguous clusters go in one call
            ReentrantLock[] locks = ctx.stripesFor(id, first, last);
            PoolContext.lockAll(locks);
            try {
                readHeadRuns(offset, length, dst);
            } finally {
                PoolContext.unlockAll(locks);
            }
        } finally {
            ioLock.readLock().unlock();
        }
    }

    /**
     * Reads a range whose stripes the caller holds, issuing one positional read per run of clusters
     * that are mapped to consecutive physical clusters (the allocator hands them out in order, so
     * sequentially written data usually is).
     */
    private void readHeadRuns(long offset, int length, ReadSink dst) {
        int cs = clusterSize;
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            long cluster = pos >>> clusterShift;
            int within = (int) (pos & (cs - 1));
            long v = headValue(cluster);
            if (!MappingValue.isData(v)) {
                int n = (int) Math.min(cs - within, end - pos);
                readHeadCluster(cluster, within, n, dst);
                pos += n;
                continue;
            }
            long phys = MappingValue.phys(v);
            long runEnd = Math.min((cluster + 1) << clusterShift, end);
            while (runEnd < end) {
                long next = headValue(runEnd >>> clusterShift);
                if (!MappingValue.isData(next) || MappingValue.phys(next) != phys + ((runEnd >>> clusterShift) - cluster)) {
                    break;
                }
                runEnd = Math.min(runEnd + cs, end);
            }
            dst.data(ctx.position(phys, within), (int) (runEnd - pos));
            pos = runEnd;
        }
    }

    /**
     * Reads as {@link #read} does, but only if nothing on the way can wait; false otherwise, {@code dst}'s
     * position unchanged. For an event loop: see {@link NonBlockingRead}.
     */
    public boolean tryRead(long offset, ByteBuffer dst) {
        return NonBlockingRead.tryRead(this, ctx, offset, dst);
    }

    /** Writes as {@link #write} does (not FUA), but only as an overwrite in place that cannot wait: see {@link NonBlockingWrite}. */
    public boolean tryWrite(long offset, ByteBuffer src) { return NonBlockingWrite.tryWrite(this, ctx, offset, src); }

    private long headValue(long cluster) {
        return cache.page(pages, cluster).values[(int) (cluster & (MapPage.SIZE - 1))];
    }

    /** Writes {@code src.remaining()} bytes at {@code offset}; with {@code fua} they are durable on return. */
    public void write(long offset, ByteBuffer src, boolean fua) {
        int length = src.remaining();
        ioLock.readLock().lock();
        try {
            checkRange(offset, length);
            long last = length == 0 ? 0 : (offset + length - 1) >>> clusterShift;
            if (length > 0 && last == offset >>> clusterShift) {
                writeCluster(offset >>> clusterShift, (int) (offset & (clusterSize - 1)), length, src, null);
            } else if (length > 0) {
                // a multi-cluster write holds all its stripes (in index order, as reads do), decides every
                // cluster first and writes each run of physically contiguous clusters in one call
                ReentrantLock[] locks = ctx.stripesFor(id, offset >>> clusterShift, last);
                PoolContext.lockAll(locks);
                RunReservation run = new RunReservation(last);
                try {
                    writeRuns(offset, length, src, run);
                } finally {
                    run.returnUnused(ctx.allocator);
                    PoolContext.unlockAll(locks);
                }
            }
        } finally {
            ioLock.readLock().unlock();
        }
        if (fua) {
            pipeline.flush();
        }
    }

    /**
     * Deallocates a range: it reads as zeros afterwards and whole clusters go back to the pool
     * (once no snapshot needs them). Partial clusters at the edges are zeroed in place.
     */
    public void unmap(long offset, long length) {
        ioLock.readLock().lock();
        try {
            checkRange(offset, length);
            unmapRange(offset, length);
        } finally {
            ioLock.readLock().unlock();
        }
    }

    /** Unmaps a range without the bounds check (a shrink cuts its tail this way, holding {@link #ioLock} exclusively). */
    void unmapRange(long offset, long length) {
        if (length == 0) {
            return;
        }
        int cs = clusterSize;
        long end = offset + length;
        long firstWhole = (offset + cs - 1) >>> clusterShift;
        long endWhole = end >>> clusterShift;
        if (firstWhole >= endWhole) {   // within one cluster, or across one boundary without a whole cluster
            forEachCluster(offset, (int) length, this::zeroPartial);
            return;
        }
        if (offset < firstWhole << clusterShift) {
            long cluster = firstWhole - 1;
            int within = (int) (offset & (cs - 1));
            zeroPartial(cluster, within, cs - within);
        }
        var it = unmapCandidates(firstWhole, endWhole).getLongIterator();
        while (it.hasNext()) {
            unmapCluster(it.next());
        }
        if (end > endWhole << clusterShift) {
            zeroPartial(endWhole, 0, (int) (end - (endWhole << clusterShift)));
        }
    }

    /**
     * The clusters in [from, to) that an unmap must visit: those with a mapping of their own (committed,
     * or staged and so in a cached page) and, for a clone, those its origin chain maps. Everything else
     * already reads as zeros, so discarding a huge empty range costs nothing.
     */
    private Roaring64NavigableMap unmapCandidates(long from, long to) {
        Roaring64NavigableMap set = new Roaring64NavigableMap();
        OriginChain.forEachMappedCluster(ctx.meta, this, from, to, set::addLong);
        cache.forEachCachedMapping(pages, from, to, set::addLong);
        return set;
    }

    /**
     * Atomically compares {@code expected} with the data at {@code offset} and, if equal, writes
     * {@code replacement} there. Both buffers must have the same length. Every cluster of the range
     * is locked for the whole operation, so no other writer can interleave.
     */
    public void compareAndWrite(long offset, ByteBuffer expected, ByteBuffer replacement, boolean fua) {
        int length = expected.remaining();
        if (replacement.remaining() != length) {
            throw new InvalidIoException("compare-and-write buffers differ in length: " + length + " vs " + replacement.remaining());
        }
        ioLock.readLock().lock();
        try {
            checkRange(offset, length);
            ReentrantLock[] locks = ctx.stripesFor(id, offset >>> clusterShift, (offset + length - 1) >>> clusterShift);
            PoolContext.lockAll(locks);
            try {
                ByteBuffer current = ByteBuffer.allocate(length);
                ReadSink into = ReadSink.into(ctx.blocks, current);
                forEachCluster(offset, length, (cluster, within, n) -> readHeadCluster(cluster, within, n, into));
                current.flip();
                int mismatch = expected.mismatch(current);
                if (mismatch >= 0) {
                    throw new CompareMismatchException(mismatch);
                }
                forEachCluster(offset, length, (cluster, within, n) -> writeCluster(cluster, within, n, replacement, null));
            } finally {
                PoolContext.unlockAll(locks);
            }
        } finally {
            ioLock.readLock().unlock();
        }
        if (fua) {
            pipeline.flush();
        }
    }

    /** Reads the snapshot that froze {@code atEpoch} (of {@code snapshotSize} bytes): see {@link SnapshotViews#read}. */
    public void readSnapshot(long atEpoch, long snapshotSize, long offset, ByteBuffer dst) {
        views.read(atEpoch, snapshotSize, offset, dst.remaining(), ReadSink.into(ctx.blocks, dst));
    }

    SnapshotViews views() { return views; }

    /**
     * The extent starting at {@code offset} (at most {@code maxLength} long) whose clusters all hold
     * data, or all read as zeros (SCSI GET LBA STATUS). Data seen through a clone's origin counts.
     */
    public io.depot.engine.Extent allocationAt(long offset, long maxLength) {
        ioLock.readLock().lock();
        try {
            checkRange(offset, 0);
            long end = Math.min(sizeBytes, offset + maxLength);
            if (offset >= end) {
                throw new io.depot.engine.InvalidIoException("offset " + offset + " is at or past the end of volume " + name);
            }
            long cluster = offset >>> clusterShift;
            boolean data = headHasData(cluster);
            long pos = Math.min((cluster + 1) << clusterShift, end);
            while (pos < end && headHasData(pos >>> clusterShift) == data) {
                pos = Math.min(pos + clusterSize, end);
            }
            return new io.depot.engine.Extent(offset, pos - offset, data);
        } finally {
            ioLock.readLock().unlock();
        }
    }

    private boolean headHasData(long cluster) {
        ReentrantLock lock = ctx.stripe(id, cluster);
        long v;
        lock.lock();
        try {
            v = headValue(cluster);
        } finally {
            lock.unlock();
        }
        VolumeState o = origin;
        return MappingValue.isData(v) || (MappingValue.isNone(v) && o != null && OriginChain.hasData(o, originEpoch, cluster));
    }

    /** Makes every completed write of the pool durable (one group commit for all volumes). */
    public void flush() {
        checkAlive();
        pipeline.flush();
    }

    /** Bytes of data the head maps (owned or shared with snapshots); unwritten and unmapped space excluded. */
    public long allocatedBytes() { return headClusters.get() * clusterSize; }

    // ---------------------------------------------------------------- per-cluster work

    private interface ClusterOp { void apply(long cluster, int within, int length); }

    private void forEachCluster(long offset, int length, ClusterOp op) {
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            long cluster = pos >>> clusterShift;
            int within = (int) (pos & (clusterSize - 1));
            int n = (int) Math.min(clusterSize - within, end - pos);
            op.apply(cluster, within, n);
            pos += n;
        }
    }

    private void readHeadCluster(long cluster, int within, int length, ReadSink dst) {
        ReentrantLock lock = ctx.stripe(id, cluster);
        lock.lock();
        try {
            readMapped(headValue(cluster), cluster, within, length, dst);
        } finally {
            lock.unlock();
        }
    }

    /** Reads part of a cluster given its mapping: its data, else the clone origin's, else zeros. */
    private void readMapped(long v, long cluster, int within, int length, ReadSink dst) {
        if (MappingValue.isData(v)) {
            dst.data(ctx.position(MappingValue.phys(v), within), length);
        } else if (MappingValue.isNone(v) && origin != null) {
            origin.readClusterAt(originEpoch, cluster, within, length, dst);
        } else {
            dst.zeros(length);
        }
    }

    /**
     * Reads part of a cluster as the snapshot that froze {@code atEpoch} sees it: the newest mapping
     * born at or before that epoch, else the clone origin, else zeros. Mappings a live snapshot can
     * see never change, so no stripe lock is needed.
     */
    void readClusterAt(long atEpoch, long cluster, int within, int length, ReadSink dst) {
        VolumeState o = origin;   // read before the mapping: a flatten that ends meanwhile leaves NONE meaning "the origin's"
        long v = mappingAt(atEpoch, cluster);
        if (MappingValue.isData(v)) {
            dst.data(ctx.position(MappingValue.phys(v), within), length);
        } else if (MappingValue.isNone(v) && o != null) {
            o.readClusterAt(originEpoch, cluster, within, length, dst);
        } else {
            dst.zeros(length);
        }
    }

    /** What the snapshot that froze {@code atEpoch} sees for a cluster (see {@link SnapshotViews#mappingAt}). */
    long mappingAt(long atEpoch, long cluster) {
        return views.mappingAt(atEpoch, cluster);
    }

    /** A change to one cluster's head mapping; returns the commit sequence that carries it (0 if none). */
    interface SlotChange {
        long apply(MapPage page, int slot);
    }

    /**
     * Runs a change of one cluster under its stripe lock, with its mapping page pinned until the
     * change is staged, so the page cannot be evicted before the commit that carries it is durable.
     */
    long changeSlot(long cluster, SlotChange change) {
        ReentrantLock lock = ctx.stripe(id, cluster);
        lock.lock();
        try {
            MapPage page = cache.pinnedPage(pages, cluster);
            long seq = 0;
            try {
                seq = change.apply(page, (int) (cluster & (MapPage.SIZE - 1)));
                return seq;
            } finally {
                page.unpin(seq);
            }
        } finally {
            lock.unlock();
        }
    }

    private void writeCluster(long cluster, int within, int length, ByteBuffer src, RunReservation run) {
        changeSlot(cluster, (page, i) -> {
            long v = page.values[i];
            long birth = page.births[i];
            long e = epoch;
            if (MappingValue.isData(v) && birth == e) {
                // owned by the head alone: overwrite in place, no metadata
                ctx.writePhysical(MappingValue.phys(v), within, length, src);
                return 0;
            }
            // the fresh cluster is written whole unless a partial write lands where nothing lies beneath
            boolean whole = length == clusterSize || MappingValue.isData(v) || (MappingValue.isNone(v) && origin != null);
            ClusterAllocator.Allocation a = run == null ? ctx.allocate(whole) : run.take(ctx, cluster, whole);
            return redirect(page, i, cluster, v, birth, e, within, length, src, a);
        });
    }

    /**
     * Writes a multi-cluster range whose stripes the caller holds. Clusters the head owns (overwritten
     * in place) and clusters the write covers whole (redirected to fresh clusters of {@code run}, no
     * copy needed) are gathered into runs that are contiguous in the data file and written with one
     * positional write each; the fresh clusters are mapped only once their run is written (data before
     * the metadata that points to it). A partial cluster that needs a copy or a clean cluster goes
     * through {@link #writeCluster} as before.
     */
    private void writeRuns(long offset, int length, ByteBuffer src, RunReservation run) {
        int cs = clusterSize;
        long e = epoch;
        ContiguousRun pending = new ContiguousRun(clusterShift);
        try {
            long pos = offset;
            long end = offset + length;
            while (pos < end) {
                long cluster = pos >>> clusterShift;
                int within = (int) (pos & (cs - 1));
                int n = (int) Math.min(cs - within, end - pos);
                MapPage page = cache.page(pages, cluster);
                int slot = (int) (cluster & (MapPage.SIZE - 1));
                long v = page.values[slot];
                long birth = page.births[slot];
                if (MappingValue.isData(v) && birth == e) {
                    // owned by the head alone: overwritten in place, no metadata
                    long phys = MappingValue.phys(v);
                    if (!pending.extend(phys, within, n)) {
                        writePending(pending, src, e);
                        pending.extend(phys, within, n);
                    }
                } else if (n == cs) {
                    // covered whole: a fresh cluster takes it as it is, nothing to copy
                    long phys = run.take(ctx, cluster, true).phys();
                    if (!pending.extend(phys, 0, n)) {
                        try {
                            writePending(pending, src, e);
                        } catch (RuntimeException ex) {
                            pipeline.stage(new MetaBatch(), phys);   // never written nor mapped
                            throw ex;
                        }
                        pending.extend(phys, 0, n);
                    }
                    pending.redirected(cluster, v, birth, phys);
                } else {
                    writePending(pending, src, e);
                    writeCluster(cluster, within, n, src, run);
                }
                pos += n;
            }
            writePending(pending, src, e);
        } catch (RuntimeException ex) {
            pending.abandon(pipeline);
            throw ex;
        }
    }

    /** Writes the pending run from {@code src}'s position, then maps the clusters it redirected. */
    private void writePending(ContiguousRun pending, ByteBuffer src, long e) {
        if (pending.length() > 0) {
            ctx.writePhysical(pending.firstPhys(), pending.within(), pending.length(), src);   // advances src
        }
        for (int k = pending.mapped(); k < pending.redirects(); k = pending.mapped()) {
            long c = pending.cluster(k);
            long v = pending.oldValue(k);
            long birth = pending.oldBirth(k);
            long phys = pending.newPhys(k);
            changeSlot(c, (page, i) -> publish(page, i, c, v, birth, e, phys));
            pending.markMapped();
        }
        pending.clear();
    }

    /** Writes into a fresh cluster (first write, or copy-on-write of a shared one) and maps it. */
    private long redirect(MapPage page, int i, long cluster, long v, long birth, long e, int within, int length, ByteBuffer src,
                          ClusterAllocator.Allocation a) {
        try {
            int cs = clusterSize;
            boolean readsThrough = MappingValue.isNone(v) && origin != null;
            if (length == cs) {
                ctx.writePhysical(a.phys(), 0, cs, src);
            } else if (a.clean() && !MappingValue.isData(v) && !readsThrough) {
                // a clean cluster already reads as zeros around the new bytes
                ctx.writePhysical(a.phys(), within, length, src);
            } else {
                ByteBuffer image = ctx.clusterBuffers.acquire();
                try {
                    if (MappingValue.isData(v)) {
                        ctx.readPhysical(MappingValue.phys(v), 0, cs, image);
                    } else if (readsThrough) {
                        origin.readClusterAt(originEpoch, cluster, 0, cs, ReadSink.into(ctx.blocks, image));
                    } else {
                        PoolContext.putZeros(image, cs);
                    }
                    image.clear().position(within);
                    int limit = src.limit();
                    src.limit(src.position() + length);
                    image.put(src);
                    src.limit(limit);
                    image.clear();
                    ctx.writePhysical(a.phys(), 0, cs, image);
                } finally {
                    ctx.clusterBuffers.release(image);
                }
            }
        } catch (RuntimeException ex) {
            pipeline.stage(new MetaBatch(), a.phys());   // never mapped: give it back after the next commit
            throw ex;
        }
        return publish(page, i, cluster, v, birth, e, a.phys());
    }

    /**
     * Maps a cluster to the fresh cluster {@code phys} its new data was just written to, born at
     * {@code e}, and stages the retirement of the mapping {@code v} it replaces (under the stripe lock).
     */
    private long publish(MapPage page, int i, long cluster, long v, long birth, long e, long phys) {
        MetaBatch change = new MetaBatch();
        long freed = retire(cluster, v, birth, e, change);
        boolean retained = freed == RETAINED;
        boolean shadows = origin != null || retained || MappingValue.shadows(v);
        long nv = MappingValue.data(phys, shadows);
        change.put(Keys.mapping(id, cluster, e), MappingValue.encode(nv));
        long seq = pipeline.stage(change, freed);
        if (!MappingValue.isData(v)) {
            headClusters.incrementAndGet();
        }
        page.values[i] = nv;
        page.births[i] = e;
        return seq;
    }

    /** {@link #retire} result: the old mapping stays for a snapshot (nothing freed). */
    private static final long RETAINED = -2;

    /**
     * Adds to {@code change} the retirement of the head's current mapping of a cluster, about to be
     * replaced by an entry born at {@code e}. If a snapshot still sees it, it goes on the deadlist
     * (keyed by the epoch it died in) and {@link #RETAINED} is returned; otherwise it is deleted and
     * the cluster to free is returned (-1 if it held no data). The caller stages {@code change}
     * together with the replacement, as one unit.
     */
    private long retire(long cluster, long v, long birth, long e, MetaBatch change) {
        if (MappingValue.isNone(v)) {
            return -1;
        }
        if (birth != e) {
            Map.Entry<Long, SnapshotRecord> seenBy = snapshots.ceilingEntry(birth);
            if (seenBy != null && seenBy.getKey() < e) {
                change.put(Keys.dead(id, e, cluster, birth), MappingValue.encode(v));
                return RETAINED;
            }
            change.delete(Keys.mapping(id, cluster, birth));
        }
        return MappingValue.isData(v) ? MappingValue.phys(v) : -1;
    }

    private void unmapCluster(long cluster) {
        changeSlot(cluster, (page, i) -> {
            long v = page.values[i];
            long birth = page.births[i];
            long e = epoch;
            if (MappingValue.isHole(v) || (MappingValue.isNone(v) && origin == null)) {
                return 0;   // already reads as zeros
            }
            MetaBatch change = new MetaBatch();
            long freed = retire(cluster, v, birth, e, change);
            if (origin != null || freed == RETAINED || MappingValue.shadows(v)) {
                change.put(Keys.mapping(id, cluster, e), MappingValue.encode(MappingValue.hole()));
                page.values[i] = MappingValue.hole();
                page.births[i] = e;
            } else {
                if (birth == e) {
                    change.delete(Keys.mapping(id, cluster, e));
                }
                page.values[i] = MappingValue.NONE;
                page.births[i] = 0;
            }
            if (MappingValue.isData(v)) {
                headClusters.decrementAndGet();
            }
            return pipeline.stage(change, freed == RETAINED ? -1 : freed);
        });
    }

    private void zeroPartial(long cluster, int within, int length) {
        ReentrantLock lock = ctx.stripe(id, cluster);
        lock.lock();
        try {
            long v = cache.page(pages, cluster).values[(int) (cluster & (MapPage.SIZE - 1))];
            if (MappingValue.isData(v) || (MappingValue.isNone(v) && origin != null)) {
                writeCluster(cluster, within, length, PoolContext.zeros(length), null);
            }
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- checks

    public void checkAlive() {
        if (deleted) {
            throw new NoSuchVolumeException("volume " + name + " was deleted");
        }
    }

    void checkRange(long offset, long length) {
        checkAlive();
        checkBounds(offset, length, sizeBytes);
    }

    void checkBounds(long offset, long length, long size) {
        if (offset < 0 || length < 0 || (offset & 511) != 0 || (length & 511) != 0) {
            throw new InvalidIoException("I/O at offset " + offset + " length " + length
                    + " is not 512-byte aligned on volume " + name);
        }
        if (offset > size || length > size - offset) {
            throw new InvalidIoException("I/O at offset " + offset + " length " + length
                    + " reaches past the end of volume " + name + " (" + size + " bytes)");
        }
    }

    @Override
    public String toString() {
        return "volume " + name + " (" + uuid + ")";
    }

}
