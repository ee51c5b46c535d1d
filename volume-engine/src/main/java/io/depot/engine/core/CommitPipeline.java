package io.depot.engine.core;

import io.depot.engine.store.BlockStore;
import io.depot.engine.store.MetaBatch;
import io.depot.engine.store.MetadataStore;
import java.util.concurrent.locks.ReentrantLock;
import org.roaringbitmap.RoaringBitmap;

/**
 * The pool's one durability authority: group commit of data, mapping changes and catalog changes.
 *
 * <p>Metadata changes made by I/O (new mappings, deadlist entries, frees) are <em>staged</em> in
 * memory; the mapping cache already serves them. Catalog changes are staged differently: written
 * to the metadata store at once without a sync ({@link #stageUnsynced}), visible at once. A commit
 * takes everything staged so far, makes the data file durable (fdatasync, skipped when nothing was
 * written to it since the last commit), then writes the staged batch with a synced WAL (or, with
 * no batch but catalog changes, syncs the WAL), and only then returns freed clusters to the
 * allocator. That order is the durability contract: data before the metadata that points to it;
 * no reuse of a cluster whose free is not yet durable. A crash loses only what was staged since
 * the last commit, and the allocator rebuild at open finds those clusters free again.
 *
 * <p>Commits are numbered. A <em>ticket</em> is the number of the commit that will cover a change:
 * the commit that is still open (not yet begun) when the change was staged. Flushes from many
 * threads share one commit: a flusher waits for the commit in progress and only starts another if
 * its own writes came after that one began. {@link CommitSyncer} makes commits for waiters that
 * must not or need not commit on their own thread; both share these numbers and the commit lock.
 */
public final class CommitPipeline {
    private final MetadataStore meta;
    private final BlockStore blocks;
    private final ReaderPins reuse;
    private final ReentrantLock commitLock = new ReentrantLock();

    // guarded by "this"
    private MetaBatch staged = new MetaBatch();
    private RoaringBitmap stagedFrees = new RoaringBitmap();
    private long openSeq = 1;
    /** Catalog changes were written unsynced since the open commit began: it must sync the WAL. */
    private boolean catalogStaged;
    private volatile long durableSeq = 0;
    private volatile RuntimeException failure;
    private volatile boolean closed;
    /** Something was written to the data file since the last commit began: the next one fdatasyncs it. */
    private volatile boolean dataWritten;
    /** Told after every commit and after a failed one (on the committing thread); see {@link #onCommit}. */
    private volatile Runnable commitListener = () -> {};
    // written under commitLock, read by anyone
    private volatile long commits;
    private volatile long dataSyncs;
    private volatile long walSyncs;

    /** @param reuse where durable frees go (through the readers' limbo) */
    CommitPipeline(MetadataStore meta, BlockStore blocks, ReaderPins reuse) {
        this.meta = meta;
        this.blocks = blocks;
        this.reuse = reuse;
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

    /**
     * Writes a catalog change to the metadata store at once without a sync (visible, in the WAL
     * file in order after every earlier one) and returns its ticket: the commit that makes it
     * durable. The ticket is read after the write returned, so that commit's synced WAL write
     * begins after it (a commit takes its number when it begins).
     */
    public long stageUnsynced(MetaBatch batch) {
        throwIfFailed();
        meta.writeUnsynced(batch);
        return ticketAfterWrite(batch);
    }

    /**
     * As {@link #stageUnsynced}, unless the store would make the caller wait (RocksDB throttling
     * its writers): then writes nothing and returns -1.
     */
    public long tryStageUnsynced(MetaBatch batch) {
        throwIfFailed();
        if (!meta.tryWriteUnsynced(batch)) {
            return -1;
        }
        return ticketAfterWrite(batch);
    }

    private synchronized long ticketAfterWrite(MetaBatch batch) {
        if (!batch.isEmpty()) {
            catalogStaged = true;
        }
        return openSeq;
    }

    /** The ticket of everything written, staged or completed before this call: the open commit. */
    public synchronized long openTicket() { return openSeq; }

    /** Notes a completed write to the data file (call after it returned): the next commit fdatasyncs it. */
    public void noteDataWrite() {
        if (!dataWritten) {   // a read, not a write, per I/O while the flag is already up
            dataWritten = true;
        }
    }

    private java.util.function.Consumer<RoaringBitmap> freeListener = f -> { };

    /** Sets who to tell of clusters whose free just became durable (before they can be reused). */
    void onFrees(java.util.function.Consumer<RoaringBitmap> listener) { this.freeListener = listener; }

    /** Sets what to tell after every commit, successful or failed (called on the committing thread, so cheap). */
    void onCommit(Runnable listener) { this.commitListener = listener; }

    public long durableSeq() { return durableSeq; }

    /** True once a commit failed: the pool refuses later changes until it is reopened. */
    public boolean failed() { return failure != null; }

    /** Commits that made something durable, data-file fdatasyncs and WAL syncs since the pool opened. */
    public long commits() { return commits; }

    public long dataSyncs() { return dataSyncs; }

    public long walSyncs() { return walSyncs; }

    /** Makes every write completed and every change staged before this call durable. */
    public void flush() {
        long target;
        synchronized (this) {
            target = openSeq;
        }
        commitLock.lock();
        try {
            throwIfFailed();
            if (closed) {   // the stores are closed: a commit with nothing to sync must not pass for durable
                throw new io.depot.engine.StorageIoException("the pool is closed");
            }
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
            if (staged.isEmpty() && stagedFrees.isEmpty() && !catalogStaged) {
                return;
            }
        }
        flush();
    }

    /** Refuses every later commit; call after the last one, before the stores close. */
    public void close() {
        closed = true;   // a commit in flight finishes or fails on the store, which guards its own close
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
        boolean syncWal;
        synchronized (this) {
            batch = staged;
            frees = stagedFrees;
            seq = openSeq++;
            syncWal = catalogStaged || !batch.isEmpty();
            catalogStaged = false;
            staged = new MetaBatch();
            stagedFrees = new RoaringBitmap();
        }
        boolean syncData = dataWritten;
        try {
            // cleared before the fdatasync: a write completing meanwhile raises it again for the next commit
            if (syncData) {
                dataWritten = false;
                blocks.force();
                dataSyncs++;
            }
            if (batch.isEmpty() && syncWal) {
                meta.sync();   // only catalog changes: their log records need the sync, not a batch
            } else {
                meta.write(batch);   // synced (a no-op when empty): it also syncs every catalog write before it
            }
            if (syncWal) {
                walSyncs++;
            }
        } catch (RuntimeException e) {
            // The staged changes are lost and the cache no longer matches the store: refuse every
            // later commit so nothing is acknowledged on top of a hole. Reopening the pool recovers.
            failure = e;
            commitListener.run();
            throw e;
        }
        durableSeq = seq;
        if (syncData || syncWal) {
            commits++;   // one with nothing to make durable costs nothing and is not counted
        }
        if (!frees.isEmpty()) {
            freeListener.accept(frees);
            reuse.free(frees);
        }
        commitListener.run();
    }
}
