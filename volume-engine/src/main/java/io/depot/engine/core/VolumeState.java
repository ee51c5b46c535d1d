package io.depot.engine.core;

import io.depot.engine.CompareMismatchException;
import io.depot.engine.InvalidIoException;
import io.depot.engine.NoSuchVolumeException;
import io.depot.engine.VolumeIoObserver;
import io.depot.engine.core.Records.SnapshotRecord;
import io.depot.engine.core.Records.VolumeRecord;
import io.depot.engine.store.MetaBatch;
import io.depot.engine.store.MetadataStore;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
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
 * and delete take {@link #ioLock} exclusively, which drains in-flight I/O for an instant.
 */
public final class VolumeState {
    final Engine engine;
    final long id;
    final UUID uuid;
    final long createdMillis;
    final MappingCache.Directory pages;
    final ReentrantReadWriteLock ioLock = new ReentrantReadWriteLock();
    /** Live snapshots by the epoch they froze. */
    final ConcurrentSkipListMap<Long, SnapshotRecord> snapshots = new ConcurrentSkipListMap<>();
    /** Clusters mapped to data in the head view, owned or shared. */
    final AtomicLong headClusters = new AtomicLong();
    /**
     * Cached mapping pages of live snapshots, by the epoch they froze, made on the first read. Whoever
     * changes what a snapshot sees removes its entry (see {@link #forgetSnapshotPages}).
     */
    private final ConcurrentHashMap<Long, MappingCache.Directory> snapshotPages = new ConcurrentHashMap<>();

    volatile String name;
    volatile long sizeBytes;
    volatile long epoch;
    volatile VolumeState origin;
    volatile long originEpoch;
    volatile boolean flattening;
    volatile boolean deleted;
    /** Told about completed head I/O by {@link io.depot.engine.Volume}; set by the engine (metrics). */
    volatile VolumeIoObserver ioObserver = VolumeIoObserver.NONE;

    VolumeState(Engine engine, VolumeRecord r) {
        this.engine = engine;
        this.id = r.id();
        this.uuid = r.uuid();
        this.createdMillis = r.createdMillis();
        this.name = r.name();
        this.sizeBytes = r.sizeBytes();
        this.epoch = r.epoch();
        this.originEpoch = r.originEpoch();
        this.flattening = r.flattening();
        this.pages = engine.cache.directory(id, engine.maxVolumeClusters);
    }

    VolumeRecord record() {
        VolumeState o = origin;
        return new VolumeRecord(id, uuid, name, sizeBytes, epoch, o == null ? 0 : o.id, o == null ? 0 : originEpoch,
                flattening, createdMillis);
    }

    public long id() { return id; }

    public UUID uuid() { return uuid; }

    public String name() { return name; }

    public long sizeBytes() { return sizeBytes; }

    public boolean hasOrigin() { return origin != null; }

    public VolumeIoObserver io() { return ioObserver; }

    // ---------------------------------------------------------------- head I/O

    /** Reads {@code dst.remaining()} bytes of the head at {@code offset}. */
    public void read(long offset, ByteBuffer dst) {
        int length = dst.remaining();
        ioLock.readLock().lock();
        try {
            checkRange(offset, length);
            if (length == 0) {
                return;
            }
            long first = offset >>> engine.clusterShift;
            long last = (offset + length - 1) >>> engine.clusterShift;
            if (first == last) {
                readHeadCluster(first, (int) (offset & (engine.clusterSize - 1)), length, dst);
                return;
            }
            // a multi-cluster read holds all its stripes (in index order) so contiguous clusters go in one call
            ReentrantLock[] locks = engine.stripesFor(id, first, last);
            for (ReentrantLock l : locks) {
                l.lock();
            }
            try {
                readHeadRuns(offset, length, dst);
            } finally {
                for (int i = locks.length - 1; i >= 0; i--) {
                    locks[i].unlock();
                }
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
    private void readHeadRuns(long offset, int length, ByteBuffer dst) {
        int cs = engine.clusterSize;
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            long cluster = pos >>> engine.clusterShift;
            int within = (int) (pos & (cs - 1));
            long v = headValue(cluster);
            if (!MappingValue.isData(v)) {
                int n = (int) Math.min(cs - within, end - pos);
                readHeadCluster(cluster, within, n, dst);
                pos += n;
                continue;
            }
            long phys = MappingValue.phys(v);
            long runEnd = Math.min((cluster + 1) << engine.clusterShift, end);
            while (runEnd < end) {
                long next = headValue(runEnd >>> engine.clusterShift);
                if (!MappingValue.isData(next) || MappingValue.phys(next) != phys + ((runEnd >>> engine.clusterShift) - cluster)) {
                    break;
                }
                runEnd = Math.min(runEnd + cs, end);
            }
            engine.readPhysical(phys, within, (int) (runEnd - pos), dst);
            pos = runEnd;
        }
    }

    /**
     * Reads as {@link #read} does, but only if nothing on the way can wait: the volume's and the
     * clusters' locks are free now, their mapping pages are cached, every mapped byte is in the OS
     * page cache, and no cluster reads through a clone origin. Otherwise returns false with
     * {@code dst}'s position unchanged (bytes past it may have been written). For callers that
     * must not block (an event loop); they fall back to {@link #read} elsewhere.
     */
    public boolean tryRead(long offset, ByteBuffer dst) {
        int length = dst.remaining();
        if (!ioLock.readLock().tryLock()) {
            return false;
        }
        try {
            if (deleted || offset < 0 || offset > sizeBytes - length || ((offset | length) & 511) != 0) {
                return false; // read() answers with the proper error
            }
            if (length == 0) {
                return true;
            }
            ReentrantLock[] locks = engine.stripesFor(id, offset >>> engine.clusterShift, (offset + length - 1) >>> engine.clusterShift);
            int held = 0;
            try {
                while (held < locks.length && locks[held].tryLock()) {
                    held++;
                }
                return held == locks.length && tryReadHeadRuns(offset, length, dst);
            } finally {
                for (int i = held - 1; i >= 0; i--) {
                    locks[i].unlock();
                }
            }
        } finally {
            ioLock.readLock().unlock();
        }
    }

    /** {@link #readHeadRuns} from cached pages and cached bytes only; false (position restored) when it would wait. */
    private boolean tryReadHeadRuns(long offset, int length, ByteBuffer dst) {
        int start = dst.position();
        int cs = engine.clusterSize;
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            long cluster = pos >>> engine.clusterShift;
            int within = (int) (pos & (cs - 1));
            MapPage page = engine.cache.cachedPage(pages, cluster);
            if (page == null) {
                dst.position(start);
                return false;
            }
            long v = page.values[(int) (cluster & (MapPage.SIZE - 1))];
            if (!MappingValue.isData(v)) {
                if (MappingValue.isNone(v) && origin != null) { // reads through the origin: not here
                    dst.position(start);
                    return false;
                }
                int n = (int) Math.min(cs - within, end - pos);
                Engine.putZeros(dst, n);
                pos += n;
                continue;
            }
            long phys = MappingValue.phys(v);
            long runEnd = Math.min((cluster + 1) << engine.clusterShift, end);
            while (runEnd < end) {
                MapPage p = engine.cache.cachedPage(pages, runEnd >>> engine.clusterShift);
                long next = p == null ? MappingValue.NONE : p.values[(int) ((runEnd >>> engine.clusterShift) & (MapPage.SIZE - 1))];
                if (!MappingValue.isData(next) || MappingValue.phys(next) != phys + ((runEnd >>> engine.clusterShift) - cluster)) {
                    break;
                }
                runEnd = Math.min(runEnd + cs, end);
            }
            if (!engine.readPhysicalIfCached(phys, within, (int) (runEnd - pos), dst)) {
                dst.position(start);
                return false;
            }
            pos = runEnd;
        }
        return true;
    }

    private long headValue(long cluster) {
        return engine.cache.page(pages, cluster).values[(int) (cluster & (MapPage.SIZE - 1))];
    }

    /** Writes {@code src.remaining()} bytes at {@code offset}; with {@code fua} they are durable on return. */
    public void write(long offset, ByteBuffer src, boolean fua) {
        int length = src.remaining();
        ioLock.readLock().lock();
        try {
            checkRange(offset, length);
            long last = length == 0 ? 0 : (offset + length - 1) >>> engine.clusterShift;
            if (length > 0 && last == offset >>> engine.clusterShift) {
                writeCluster(offset >>> engine.clusterShift, (int) (offset & (engine.clusterSize - 1)), length, src, null);
            } else if (length > 0) {
                // a multi-cluster write holds all its stripes (in index order, as reads do), decides every
                // cluster first and writes each run of physically contiguous clusters in one call
                ReentrantLock[] locks = engine.stripesFor(id, offset >>> engine.clusterShift, last);
                for (ReentrantLock l : locks) {
                    l.lock();
                }
                Reservation run = new Reservation(last);
                try {
                    writeRuns(offset, length, src, run);
                } finally {
                    run.returnUnused(engine.allocator);
                    for (int i = locks.length - 1; i >= 0; i--) {
                        locks[i].unlock();
                    }
                }
            }
        } finally {
            ioLock.readLock().unlock();
        }
        if (fua) {
            engine.pipeline.flush();
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
        int cs = engine.clusterSize;
        long end = offset + length;
        long firstWhole = (offset + cs - 1) >>> engine.clusterShift;
        long endWhole = end >>> engine.clusterShift;
        if (firstWhole >= endWhole) {   // within one cluster, or across one boundary without a whole cluster
            long pos = offset;
            while (pos < end) {
                long cluster = pos >>> engine.clusterShift;
                int within = (int) (pos & (cs - 1));
                int n = (int) Math.min(cs - within, end - pos);
                zeroPartial(cluster, within, n);
                pos += n;
            }
            return;
        }
        if (offset < firstWhole << engine.clusterShift) {
            long cluster = firstWhole - 1;
            int within = (int) (offset & (cs - 1));
            zeroPartial(cluster, within, cs - within);
        }
        var it = engine.unmapCandidates(this, firstWhole, endWhole).getLongIterator();
        while (it.hasNext()) {
            unmapCluster(it.next());
        }
        if (end > endWhole << engine.clusterShift) {
            zeroPartial(endWhole, 0, (int) (end - (endWhole << engine.clusterShift)));
        }
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
            ReentrantLock[] locks = engine.stripesFor(id, offset >>> engine.clusterShift, (offset + length - 1) >>> engine.clusterShift);
            for (ReentrantLock l : locks) {
                l.lock();
            }
            try {
                ByteBuffer current = ByteBuffer.allocate(length);
                forEachCluster(offset, length, (cluster, within, n) -> readHeadCluster(cluster, within, n, current));
                current.flip();
                int mismatch = expected.mismatch(current);
                if (mismatch >= 0) {
                    throw new CompareMismatchException(mismatch);
                }
                forEachCluster(offset, length, (cluster, within, n) -> writeCluster(cluster, within, n, replacement));
            } finally {
                for (int i = locks.length - 1; i >= 0; i--) {
                    locks[i].unlock();
                }
            }
        } finally {
            ioLock.readLock().unlock();
        }
        if (fua) {
            engine.pipeline.flush();
        }
    }

    /**
     * Reads a snapshot of this volume: what the head held when the snapshot that froze {@code atEpoch}
     * was taken. The caller names the snapshot's size so reads past it are refused.
     */
    public void readSnapshot(long atEpoch, long snapshotSize, long offset, ByteBuffer dst) {
        int length = dst.remaining();
        ioLock.readLock().lock();
        try {
            checkAlive();
            if (!snapshots.containsKey(atEpoch)) {
                throw new io.depot.engine.NoSuchSnapshotException("the snapshot of volume " + name + " was deleted");
            }
            checkBounds(offset, length, snapshotSize);
            if (length > 0) {
                readViewRuns(atEpoch, offset, length, dst);
            }
        } finally {
            ioLock.readLock().unlock();
        }
    }

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
            long cluster = offset >>> engine.clusterShift;
            boolean data = headHasData(cluster);
            long pos = Math.min((cluster + 1) << engine.clusterShift, end);
            while (pos < end && headHasData(pos >>> engine.clusterShift) == data) {
                pos = Math.min(pos + engine.clusterSize, end);
            }
            return new io.depot.engine.Extent(offset, pos - offset, data);
        } finally {
            ioLock.readLock().unlock();
        }
    }

    private boolean headHasData(long cluster) {
        ReentrantLock lock = engine.stripe(id, cluster);
        long v;
        lock.lock();
        try {
            v = headValue(cluster);
        } finally {
            lock.unlock();
        }
        return MappingValue.isData(v) || (MappingValue.isNone(v) && origin != null && origin.hasDataAt(originEpoch, cluster));
    }

    private boolean hasDataAt(long atEpoch, long cluster) {
        long v = mappingAt(atEpoch, cluster);
        return MappingValue.isData(v) || (MappingValue.isNone(v) && origin != null && origin.hasDataAt(originEpoch, cluster));
    }

    /** Makes every completed write of the pool durable (one group commit for all volumes). */
    public void flush() {
        checkAlive();
        engine.pipeline.flush();
    }

    /** Bytes of data the head maps (owned or shared with snapshots); unwritten and unmapped space excluded. */
    public long allocatedBytes() { return headClusters.get() * engine.clusterSize; }

    // ---------------------------------------------------------------- per-cluster work

    private interface ClusterOp { void apply(long cluster, int within, int length); }

    private void forEachCluster(long offset, int length, ClusterOp op) {
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            long cluster = pos >>> engine.clusterShift;
            int within = (int) (pos & (engine.clusterSize - 1));
            int n = (int) Math.min(engine.clusterSize - within, end - pos);
            op.apply(cluster, within, n);
            pos += n;
        }
    }

    private void readHeadCluster(long cluster, int within, int length, ByteBuffer dst) {
        ReentrantLock lock = engine.stripe(id, cluster);
        lock.lock();
        try {
            readMapped(headValue(cluster), cluster, within, length, dst);
        } finally {
            lock.unlock();
        }
    }

    /** Reads part of a cluster given its mapping: its data, else the clone origin's, else zeros. */
    private void readMapped(long v, long cluster, int within, int length, ByteBuffer dst) {
        if (MappingValue.isData(v)) {
            engine.readPhysical(MappingValue.phys(v), within, length, dst);
        } else if (MappingValue.isNone(v) && origin != null) {
            origin.readClusterAt(originEpoch, cluster, within, length, dst);
        } else {
            Engine.putZeros(dst, length);
        }
    }

    /**
     * Reads part of a cluster as the snapshot that froze {@code atEpoch} sees it: the newest mapping
     * born at or before that epoch, else the clone origin, else zeros. Mappings a live snapshot can
     * see never change, so no stripe lock is needed.
     */
    void readClusterAt(long atEpoch, long cluster, int within, int length, ByteBuffer dst) {
        VolumeState o = origin;   // read before the mapping: a flatten that ends meanwhile leaves NONE meaning "the origin's"
        long v = mappingAt(atEpoch, cluster);
        if (MappingValue.isData(v)) {
            engine.readPhysical(MappingValue.phys(v), within, length, dst);
        } else if (MappingValue.isNone(v) && o != null) {
            o.readClusterAt(originEpoch, cluster, within, length, dst);
        } else {
            Engine.putZeros(dst, length);
        }
    }

    /**
     * Reads a range of the snapshot that froze {@code atEpoch}, one positional read per run of clusters
     * mapped to consecutive physical clusters (as {@link #readHeadRuns} does for the head).
     */
    private void readViewRuns(long atEpoch, long offset, int length, ByteBuffer dst) {
        MappingCache.Directory dir = snapshotPages(atEpoch);
        int cs = engine.clusterSize;
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            long cluster = pos >>> engine.clusterShift;
            int within = (int) (pos & (cs - 1));
            long v = viewValue(dir, atEpoch, cluster);
            if (!MappingValue.isData(v)) {
                int n = (int) Math.min(cs - within, end - pos);
                readClusterAt(atEpoch, cluster, within, n, dst);
                pos += n;
                continue;
            }
            long phys = MappingValue.phys(v);
            long runEnd = Math.min((cluster + 1) << engine.clusterShift, end);
            while (runEnd < end) {
                long nextCluster = runEnd >>> engine.clusterShift;
                long next = viewValue(dir, atEpoch, nextCluster);
                if (!MappingValue.isData(next) || MappingValue.phys(next) != phys + (nextCluster - cluster)) {
                    break;
                }
                runEnd = Math.min(runEnd + cs, end);
            }
            engine.readPhysical(phys, within, (int) (runEnd - pos), dst);
            pos = runEnd;
        }
    }

    /**
     * The mapping the snapshot that froze {@code atEpoch} sees for a cluster: from that snapshot's
     * cached pages (loaded from the committed store on first use), or straight from the store if the
     * snapshot is not (or no longer) live, so a page of a dead snapshot is never cached.
     */
    long mappingAt(long atEpoch, long cluster) {
        return viewValue(snapshotPages(atEpoch), atEpoch, cluster);
    }

    /** {@link #mappingAt} with the snapshot's directory already looked up (null: not cached). */
    private long viewValue(MappingCache.Directory dir, long atEpoch, long cluster) {
        if (dir == null) {
            engine.cache.countStoreLookup();
            MetadataStore.Entry e = engine.meta.floor(Keys.mapping(id, cluster, atEpoch), Keys.mapping(id, cluster, 0));
            return e == null ? MappingValue.NONE : MappingValue.decode(e.value());
        }
        return engine.cache.page(dir, cluster).values[(int) (cluster & (MapPage.SIZE - 1))];
    }

    private MappingCache.Directory snapshotPages(long atEpoch) {
        MappingCache.Directory dir = snapshotPages.get(atEpoch);
        if (dir != null) {
            return dir;
        }
        if (!snapshots.containsKey(atEpoch)) {
            return null;
        }
        dir = snapshotPages.computeIfAbsent(atEpoch, e -> engine.cache.snapshotDirectory(id, engine.maxVolumeClusters, e));
        if (!snapshots.containsKey(atEpoch)) {   // deleted meanwhile (a reader without this volume's ioLock, e.g. diff)
            snapshotPages.remove(atEpoch, dir);
            return null;
        }
        return dir;
    }

    /**
     * Stops using the cached pages of the snapshot at {@code atEpoch} (or of every snapshot, with -1):
     * called, with {@link #ioLock} held exclusively, when what they show may have changed. Later reads
     * load fresh pages; the old ones leave the cache with the clock.
     */
    void forgetSnapshotPages(long atEpoch) {
        if (atEpoch < 0) {
            snapshotPages.clear();
        } else {
            snapshotPages.remove(atEpoch);
        }
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
        ReentrantLock lock = engine.stripe(id, cluster);
        lock.lock();
        try {
            MapPage page = engine.cache.pinnedPage(pages, cluster);
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

    /**
     * Fresh clusters for one multi-cluster write: reserved as a run on first need, so the request's
     * new clusters are physically contiguous (one syscall when read back sequentially).
     */
    static final class Reservation {
        private final long lastCluster;
        private ClusterAllocator.Run run;
        private long next;

        Reservation(long lastCluster) { this.lastCluster = lastCluster; }

        /** @param whole the cluster will be written in full, so a dirty one serves (see {@link ClusterAllocator}) */
        ClusterAllocator.Allocation take(Engine engine, long cluster, boolean whole) {
            if (run == null || next >= run.first() + run.count()) {
                int remaining = (int) Math.min(1024, lastCluster - cluster + 1);
                ClusterAllocator.Run fresh = engine.allocator.reserveRun(remaining, whole);
                if (fresh == null) {
                    return engine.allocate(whole);
                }
                run = fresh;
                next = fresh.first();
            }
            return new ClusterAllocator.Allocation(next++, run.clean());
        }

        void returnUnused(ClusterAllocator allocator) {
            if (run != null) {
                allocator.returnUnused(run, next);
                next = run.first() + run.count();
            }
        }
    }

    private void writeCluster(long cluster, int within, int length, ByteBuffer src) {
        writeCluster(cluster, within, length, src, null);
    }

    private void writeCluster(long cluster, int within, int length, ByteBuffer src, Reservation run) {
        changeSlot(cluster, (page, i) -> {
            long v = page.values[i];
            long birth = page.births[i];
            long e = epoch;
            if (MappingValue.isData(v) && birth == e) {
                // owned by the head alone: overwrite in place, no metadata
                engine.writePhysical(MappingValue.phys(v), within, length, src);
                return 0;
            }
            // the fresh cluster is written whole unless a partial write lands where nothing lies beneath
            boolean whole = length == engine.clusterSize || MappingValue.isData(v) || (MappingValue.isNone(v) && origin != null);
            ClusterAllocator.Allocation a = run == null ? engine.allocate(whole) : run.take(engine, cluster, whole);
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
    private void writeRuns(long offset, int length, ByteBuffer src, Reservation run) {
        int cs = engine.clusterSize;
        long e = epoch;
        ContiguousRun pending = new ContiguousRun(engine.clusterShift);
        try {
            long pos = offset;
            long end = offset + length;
            while (pos < end) {
                long cluster = pos >>> engine.clusterShift;
                int within = (int) (pos & (cs - 1));
                int n = (int) Math.min(cs - within, end - pos);
                MapPage page = engine.cache.page(pages, cluster);
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
                    long phys = run.take(engine, cluster, true).phys();
                    if (!pending.extend(phys, 0, n)) {
                        try {
                            writePending(pending, src, e);
                        } catch (RuntimeException ex) {
                            engine.pipeline.stage(new MetaBatch(), phys);   // never written nor mapped
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
            pending.abandon(engine.pipeline);
            throw ex;
        }
    }

    /** Writes the pending run from {@code src}'s position, then maps the clusters it redirected. */
    private void writePending(ContiguousRun pending, ByteBuffer src, long e) {
        if (pending.length() > 0) {
            engine.writePhysical(pending.firstPhys(), pending.within(), pending.length(), src);   // advances src
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
            int cs = engine.clusterSize;
            boolean readsThrough = MappingValue.isNone(v) && origin != null;
            if (length == cs) {
                engine.writePhysical(a.phys(), 0, cs, src);
            } else if (a.clean() && !MappingValue.isData(v) && !readsThrough) {
                // a clean cluster already reads as zeros around the new bytes
                engine.writePhysical(a.phys(), within, length, src);
            } else {
                ByteBuffer image = engine.clusterBuffers.acquire();
                try {
                    if (MappingValue.isData(v)) {
                        engine.readPhysical(MappingValue.phys(v), 0, cs, image);
                    } else if (readsThrough) {
                        origin.readClusterAt(originEpoch, cluster, 0, cs, image);
                    } else {
                        Engine.putZeros(image, cs);
                    }
                    image.clear().position(within);
                    int limit = src.limit();
                    src.limit(src.position() + length);
                    image.put(src);
                    src.limit(limit);
                    image.clear();
                    engine.writePhysical(a.phys(), 0, cs, image);
                } finally {
                    engine.clusterBuffers.release(image);
                }
            }
        } catch (RuntimeException ex) {
            engine.pipeline.stage(new MetaBatch(), a.phys());   // never mapped: give it back after the next commit
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
        long seq = engine.pipeline.stage(change, freed);
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
            return engine.pipeline.stage(change, freed == RETAINED ? -1 : freed);
        });
    }

    private void zeroPartial(long cluster, int within, int length) {
        ReentrantLock lock = engine.stripe(id, cluster);
        lock.lock();
        try {
            long v = engine.cache.page(pages, cluster).values[(int) (cluster & (MapPage.SIZE - 1))];
            if (MappingValue.isData(v) || (MappingValue.isNone(v) && origin != null)) {
                writeCluster(cluster, within, length, engine.zeros(length));
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

    private void checkBounds(long offset, long length, long size) {
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
