package io.depot.engine.core;

import io.depot.engine.OutOfSpaceException;
import io.depot.engine.core.Records.PoolRecord;
import io.depot.engine.store.MetaBatch;
import io.depot.engine.store.BlockStore;
import io.depot.engine.store.MetadataStore;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What every part of one pool's core shares: the cluster geometry, the stripe locks, the allocator,
 * physical I/O on the block store, the commit pipeline and the mapping cache. Volumes, snapshots,
 * clones, reclaim and diff get this object instead of the {@link Engine}, so none of them can reach
 * into another's state.
 *
 * <p>Everything here is fixed when the pool opens (the allocator grows in place), so the I/O path reads
 * plain final fields.
 */
final class PoolContext {
    /** Largest volume: 64 TiB. */
    static final long MAX_VOLUME_BYTES = 64L << 40;
    private static final int STRIPES = 4096;
    /** Read-only zeros, as large as the largest cluster. */
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

    final MetadataStore meta;
    final BlockStore blocks;
    final int clusterSize;
    final int clusterShift;
    /** 4 KiB checksummed blocks per cluster. */
    final int blocksPerCluster;
    final long maxVolumeClusters;
    final ClusterAllocator allocator;
    /** Frees wait here for zero-copy reads that may still send the clusters' bytes. */
    final ReaderPins pins;
    final CommitPipeline pipeline;
    final MappingCache cache;
    final ClusterBufferPool clusterBuffers;
    /** Damaged blocks found by checksums: filled by reads and scrubs, cleared by overwrites and frees. */
    final DamageLedger damage = new DamageLedger();
    /** Pages of head mappings open for overwrites in place whose CRCs are newer in memory than in the store. */
    final OpenPages openPages;
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    /** Serialises administrative changes (volumes, snapshots, clones, capacity); I/O never takes it. */
    private final ReentrantLock admin = new ReentrantLock();
    private volatile PoolRecord poolRecord;
    /** Set once the pool starts closing: background loops (flatten, reclaim) stop at their next step. */
    private volatile boolean closing;

    /**
     * @param cacheBytes    the mapping cache's budget
     * @param commitRequest asks for a commit soon without waiting (the cache calls it when staged pages pile up)
     */
    PoolContext(MetadataStore meta, BlockStore blocks, PoolRecord record, long cacheBytes, Runnable commitRequest) {
        this.meta = meta;
        this.blocks = blocks;
        this.poolRecord = record;
        this.clusterSize = record.clusterSize();
        this.clusterShift = Integer.numberOfTrailingZeros(clusterSize);
        this.maxVolumeClusters = MAX_VOLUME_BYTES >>> clusterShift;
        long dirtyBelow = (blocks.dirtyExtent() + clusterSize - 1) >>> clusterShift;
        this.allocator = new ClusterAllocator(record.capacityBytes() >>> clusterShift, dirtyBelow);
        this.pins = new ReaderPins(allocator);
        this.pipeline = new CommitPipeline(meta, blocks, pins);
        this.blocksPerCluster = clusterSize / BlockChecksums.BLOCK;
        // a cached cluster costs its value, birth and overlay base and mask, and a CRC per 4 KiB block
        this.cache = new MappingCache(meta, pipeline, cacheBytes / (MapPage.SIZE
                * (24L + 8L * MappingValue.maskWords(blocksPerCluster) + 4L * blocksPerCluster)),
                blocksPerCluster, commitRequest);
        this.clusterBuffers = new ClusterBufferPool(clusterSize, 64);
        this.openPages = new OpenPages(this);
        cache.onEviction(openPages);
        pipeline.onFrees(frees -> damage.clearedClusters(frees, clusterShift));
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    // ---------------------------------------------------------------- pool-wide admin state

    /** Takes the admin lock; refuses changes once a failed commit has made the pool read-only. */
    void lockAdmin() {
        admin.lock();
        try {
            pipeline.throwIfFailed();
        } catch (RuntimeException e) {
            admin.unlock();
            throw e;
        }
    }

    void unlockAdmin() { admin.unlock(); }

    PoolRecord poolRecord() { return poolRecord; }

    /** Stores a changed pool record at once (under the admin lock), optionally with other changes in the same batch. */
    void writePoolRecord(PoolRecord next, MetaBatch with) {
        meta.write(with.put(Keys.pool(), next.encode()));
        poolRecord = next;
    }

    boolean isClosing() { return closing; }

    void markClosing() { closing = true; }

    // ---------------------------------------------------------------- stripe locks

    /** The lock guarding one cluster of one volume (shared by many clusters: {@value #STRIPES} stripes). */
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
        int[] sorted = Arrays.stream(idx, 0, n).sorted().distinct().toArray();
        ReentrantLock[] out = new ReentrantLock[sorted.length];
        for (int i = 0; i < sorted.length; i++) {
            out[i] = stripes[sorted[i]];
        }
        return out;
    }

    /** The distinct stripe locks of clusters {@code base + offsets[k]}, in the same fixed order as {@link #stripesFor}. */
    ReentrantLock[] stripesFor(long volume, long base, int[] offsets) {
        int[] sorted = Arrays.stream(offsets).map(o -> stripeIndex(volume, base + o)).sorted().distinct().toArray();
        ReentrantLock[] out = new ReentrantLock[sorted.length];
        for (int i = 0; i < sorted.length; i++) {
            out[i] = stripes[sorted[i]];
        }
        return out;
    }

    /** Locks every lock of {@link #stripesFor}'s answer, in its order. */
    static void lockAll(ReentrantLock[] locks) {
        for (ReentrantLock l : locks) {
            l.lock();
        }
    }

    /** Unlocks what {@link #lockAll} locked, in reverse order. */
    static void unlockAll(ReentrantLock[] locks) {
        for (int i = locks.length - 1; i >= 0; i--) {
            locks[i].unlock();
        }
    }

    // ---------------------------------------------------------------- clusters and physical I/O

    /** One free cluster; {@code whole}: the caller writes all of it (see {@link ClusterAllocator#allocate(boolean)}). */
    ClusterAllocator.Allocation allocate(boolean whole) {
        try {
            return allocator.allocate(whole);
        } catch (OutOfSpaceException full) {
            // clusters freed since the last commit become reusable once that commit is durable
            pipeline.flush();
            try {
                return allocator.allocate(whole);
            } catch (OutOfSpaceException stillFull) {
                // and once the zero-copy reads that may still send them are done
                if (!awaitLimbo()) {
                    throw stillFull;
                }
                return allocator.allocate(whole);
            }
        }
    }

    private boolean awaitLimbo() {
        try {
            return pins.awaitEmptyLimbo(2, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Where byte {@code within} of physical cluster {@code phys} lies in the data file. */
    long position(long phys, int within) {
        return (phys << clusterShift) + within;
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

    void writePhysical(long phys, int within, int length, ByteBuffer src) {
        writePositioned(position(phys, within), length, src);
    }

    /** Writes {@code length} bytes of {@code src} (advancing it) at {@code position} of the data file. */
    void writePositioned(long position, int length, ByteBuffer src) {
        pipeline.throwIfFailed();
        int limit = src.limit();
        src.limit(src.position() + length);
        try {
            blocks.write(src, position);
            pipeline.noteDataWrite();
        } finally {
            src.limit(limit);
        }
    }

    /** The most {@link #zeros} gives at once. */
    static final int MAX_ZEROS = ZEROS.capacity();

    /** {@code length} read-only zero bytes. */
    static ByteBuffer zeros(int length) {
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

    /** Clusters needed to hold {@code bytes}. */
    long clustersFor(long bytes) {
        return (bytes + clusterSize - 1) >>> clusterShift;
    }
}
