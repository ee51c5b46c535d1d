package io.depot.engine.core;

import io.depot.engine.store.BlockStore;
import io.depot.engine.store.MetaBatch;
import io.depot.engine.store.MetadataStore;
import java.util.concurrent.locks.ReentrantLock;
import org.roaringbitmap.RoaringBitmap;

/**
 * Group commit of metadata changes and data durability.
 *
 * <p>Metadata changes made by I/O (new mappings, deadlist entries, frees) are <em>staged</em> in
 * memory; the mapping cache already serves them. A commit takes everything staged so far, makes
 * the data file durable (fdatasync), then writes the staged batch with a synced WAL, and only then
 * returns freed clusters to the allocator. That order is the durability contract: data before the
 * metadata that points to it; no reuse of a cluster whose free is not yet durable. A crash loses
 * only what was staged since the last commit, and the allocator rebuild at open finds those
 * clusters free again.
 *
 * <p>Flushes from many threads share one commit: a flusher waits for the commit in progress and
 * only starts another if its own writes came after that one began.
 */
public final class CommitPipeline {
    private final MetadataStore meta;
    private final BlockStore blocks;
    private final ClusterAllocator allocator;
    private final ReentrantLock commitLock = new ReentrantLock();

    // guarded by "this"
    private MetaBatch staged = new MetaBatch();
    private RoaringBitmap stagedFrees = new RoaringBitmap();
    private long openSeq = 1;
    private volatile long durableSeq = 0;
    private volatile RuntimeException failure;

    public CommitPipeline(MetadataStore meta, BlockStore blocks, ClusterAllocator allocator) {
        this.meta = meta;
        this.blocks = blocks;
        this.allocator = allocator;
    }

    /**
     * Stages one cluster's change as a unit: its metadata and, unless negative, a cluster to free.
     * A change must never be split across commits (a crash between them would leave half of it).
     */
    public synchronized long stage(MetaBatch batch, long freePhys) {
        staged.addAll(batch);
        if (freePhys >= 0) {
            stagedFrees.add((int) freePhys);
        }
        return openSeq;
    }

    /** Stages a whole batch, with its frees, as one unit of the next commit. */
    public synchronized long stage(MetaBatch batch, RoaringBitmap frees) {
        staged.addAll(batch);
        if (frees != null) {
            stagedFrees.or(frees);
        }
        return openSeq;
    }

    public long durableSeq() { return durableSeq; }

    /** Makes every write completed and every change staged before this call durable. */
    public void flush() {
        long target;
        synchronized (this) {
            target = openSeq;
        }
        commitLock.lock();
        try {
            throwIfFailed();
            if (durableSeq >= target) {
                return;   // a commit that began after our call already covered us
            }
            commitOnce();
        } finally {
            commitLock.unlock();
        }
    }

    /** Commits what is staged if anything is (the background ticker calls this). */
    public void commitIfStaged() {
        synchronized (this) {
            if (staged.isEmpty() && stagedFrees.isEmpty()) {
                return;
            }
        }
        flush();
    }

    /** Throws the error that broke a commit, if one did. */
    public void throwIfFailed() {
        RuntimeException f = failure;
        if (f != null) {
            throw new io.depot.engine.StorageIoException("pool is failed since an earlier commit error; reopen it: " + f.getMessage(), f);
        }
    }

    private void commitOnce() {
        MetaBatch batch;
        RoaringBitmap frees;
        long seq;
        synchronized (this) {
            batch = staged;
            frees = stagedFrees;
            seq = openSeq++;
            staged = new MetaBatch();
            stagedFrees = new RoaringBitmap();
        }
        try {
            blocks.force();
            meta.write(batch);
        } catch (RuntimeException e) {
            // The staged changes are lost and the cache no longer matches the store: refuse every
            // later commit so nothing is acknowledged on top of a hole. Reopening the pool recovers.
            failure = e;
            throw e;
        }
        durableSeq = seq;
        if (!frees.isEmpty()) {
            allocator.release(frees);
        }
    }
}
