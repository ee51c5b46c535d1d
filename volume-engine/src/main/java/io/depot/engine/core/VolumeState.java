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
    /** The write path (copy-on-write, in place, unmap). */
    private final HeadWrites writes;

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
        this.writes = new HeadWrites(this, ctx);
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

    /**
     * What the snapshots see was rewritten in place in the store (an overlay completed, CRCs added by
     * an upgrade): their cached pages go. A reader still holding one reads what it showed, which stays
     * valid until the next commit frees anything (completion runs with I/O drained).
     */
    void viewsChanged() { views.forget(-1); }

    /** The volume is deleted: later calls fail, its snapshot views are dropped. Called with I/O drained. */
    void markDeleted() {
        deleted = true;
        views.forget(-1);
    }

    /** One more cluster of the head maps data (counted at open, or by a flatten's copy). */
    void headClusterAdded() { headClusters.incrementAndGet(); }

    /** One cluster fewer of the head maps data (unmapped). */
    void headClusterRemoved() { headClusters.decrementAndGet(); }

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
            MapPage page = cache.page(pages, cluster);
            int slot = (int) (cluster & (MapPage.SIZE - 1));
            long v = page.values[slot];
            if (!MappingValue.isData(v) || MappingValue.isOverlay(v)) {
                int n = (int) Math.min(cs - within, end - pos);
                readHeadCluster(cluster, within, n, dst);
                pos += n;
                continue;
            }
            long phys = MappingValue.phys(v);
            RunChecks checks = RunChecks.start(ctx.damage, this, null, pos, ctx.position(phys, within), within).cluster(v, page, slot);
            long runEnd = Math.min((cluster + 1) << clusterShift, end);
            while (runEnd < end) {
                long nextCluster = runEnd >>> clusterShift;
                MapPage nextPage = cache.page(pages, nextCluster);
                int nextSlot = (int) (nextCluster & (MapPage.SIZE - 1));
                long next = nextPage.values[nextSlot];
                if (!MappingValue.isData(next) || MappingValue.isOverlay(next) || MappingValue.phys(next) != phys + (nextCluster - cluster)) {
                    break;
                }
                checks.cluster(next, nextPage, nextSlot);
                runEnd = Math.min(runEnd + cs, end);
            }
            dst.data(ctx.position(phys, within), (int) (runEnd - pos), checks);
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
    public void write(long offset, ByteBuffer src, boolean fua) { writes.write(offset, src, fua); }

    /**
     * Deallocates a range: it reads as zeros afterwards and whole clusters go back to the pool
     * (once no snapshot needs them). Partial clusters at the edges are zeroed in place.
     */
    public void unmap(long offset, long length) { writes.unmap(offset, length); }

    /** Unmaps a range without the bounds check (a shrink cuts its tail this way, holding the I/O lock exclusively). */
    void unmapRange(long offset, long length) { writes.unmapRange(offset, length); }

    /**
     * Atomically compares {@code expected} with the data at {@code offset} and, if equal, writes
     * {@code replacement} there (see {@link HeadWrites#compareAndWrite}).
     */
    public void compareAndWrite(long offset, ByteBuffer expected, ByteBuffer replacement, boolean fua) {
        writes.compareAndWrite(offset, expected, replacement, fua);
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

    void readHeadCluster(long cluster, int within, int length, ReadSink dst) {
        ReentrantLock lock = ctx.stripe(id, cluster);
        lock.lock();
        try {
            MapPage page = cache.page(pages, cluster);
            int slot = (int) (cluster & (MapPage.SIZE - 1));
            readMapped(page, slot, cluster, within, length, dst);
        } finally {
            lock.unlock();
        }
    }

    /** Reads part of a cluster given its mapping: its data, else the clone origin's, else zeros. */
    private void readMapped(MapPage page, int slot, long cluster, int within, int length, ReadSink dst) {
        long v = page.values[slot];
        if (MappingValue.isOverlay(v)) {
            OverlaySlot.of(page, slot).read(ctx, this, null, cluster, within, length, dst);
        } else if (MappingValue.isData(v)) {
            long at = ctx.position(MappingValue.phys(v), within);
            long logical = (cluster << clusterShift) + within;
            dst.data(at, length, RunChecks.start(ctx.damage, this, null, logical, at, within).cluster(v, page, slot));
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
        // A clone reads its origin's snapshot without the origin's I/O lock, so an overlay seen here may
        // be completed by a snapshot delete meanwhile and its base freed: a reader pin, taken before the
        // mapping is looked up, keeps the base from reuse until this read is done.
        long pin = ctx.pins.pin();
        try {
            readClusterAtPinned(atEpoch, cluster, within, length, dst);
        } finally {
            ctx.pins.unpin(pin);
        }
    }

    private void readClusterAtPinned(long atEpoch, long cluster, int within, int length, ReadSink dst) {
        VolumeState o = origin;   // read before the mapping: a flatten that ends meanwhile leaves NONE meaning "the origin's"
        // value, CRCs and overlay fields from ONE lookup: a second one could see the entry completed meanwhile
        OverlaySlot seen = views.slotAt(atEpoch, cluster);
        long v = seen.value();
        if (MappingValue.isOverlay(v)) {
            seen.read(ctx, this, views.snapshotName(atEpoch), cluster, within, length, dst);
        } else if (MappingValue.isData(v)) {
            long at = ctx.position(MappingValue.phys(v), within);
            long logical = (cluster << clusterShift) + within;
            dst.data(at, length, RunChecks.start(ctx.damage, this, views.snapshotName(atEpoch), logical, at, within).slot(seen));
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
