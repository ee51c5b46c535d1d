package io.depot.engine;

import io.depot.engine.core.FlattenTask;
import io.depot.engine.core.VolumeState;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.UUID;

/**
 * A thin-provisioned block volume. All offsets and lengths are bytes, multiples of 512.
 * Reads and writes use the caller's buffers (heap or direct) positionally; they are safe from
 * any number of threads at once.
 */
public final class Volume {
    private final Pool pool;
    private final VolumeState state;

    Volume(Pool pool, VolumeState state) {
        this.pool = pool;
        this.state = state;
    }

    VolumeState state() { return state; }

    /** Never changes, even across renames: protocols derive SCSI identifiers and file handles from it. */
    public UUID uuid() { return state.uuid(); }

    public String name() { return state.name(); }

    public long sizeBytes() { return state.sizeBytes(); }

    /** Who the volume belongs to, set at creation: {@link VolumeOwner#USER} unless a layer made it for itself. */
    public VolumeOwner owner() { return state.owner(); }

    // Each I/O call reports its size and duration to the volume's observer (metrics): two clock
    // reads and an interface call, nothing allocated; unobserved (the default) not even the clock.

    /** Reads {@code dst.remaining()} bytes at {@code offset}; never-written ranges read as zeros. */
    public void read(long offset, ByteBuffer dst) {
        VolumeIoObserver observer = state.io();
        if (observer == VolumeIoObserver.NONE) {
            state.read(offset, dst);
            return;
        }
        int bytes = dst.remaining();
        long start = System.nanoTime();
        state.read(offset, dst);
        observer.read(bytes, System.nanoTime() - start);
    }

    /**
     * Reads as {@link #read} only if that cannot wait (for the disk, a lock, the metadata store);
     * returns false otherwise, {@code dst}'s position unchanged. For an event loop answering from
     * memory, with {@link #read} elsewhere as the fallback. Bad ranges also return false.
     */
    public boolean tryRead(long offset, ByteBuffer dst) {
        return observedTry(dst.remaining(), () -> state.tryRead(offset, dst), true);
    }

    /** Runs a try-operation of {@code bytes}, reporting it to the observer only when it was done. */
    private boolean observedTry(int bytes, java.util.function.BooleanSupplier op, boolean read) {
        VolumeIoObserver observer = state.io();
        if (observer == VolumeIoObserver.NONE) {
            return op.getAsBoolean();
        }
        long start = System.nanoTime();
        boolean done = op.getAsBoolean();
        if (done && read) {
            observer.read(bytes, System.nanoTime() - start);
        } else if (done) {
            observer.write(bytes, System.nanoTime() - start);
        }
        return done;
    }

    /**
     * The bytes {@link #read} would copy, as a {@link ReadPlan}: views of the pool's data file for
     * a send without a copy through a buffer; any byte alignment. Null if the data file cannot be
     * mapped there (a store that maps nothing, a tail grown since it was last mapped). A plan made
     * is reported to the volume's observer as a read of {@code length} bytes, timed as its making:
     * the bytes leave the volume here, whenever the sender copies them out.
     */
    public ReadPlan plan(long offset, int length) {
        return plan(offset, length, false);
    }

    /** As {@link #plan}, but null also when it would wait, as {@link #tryRead} declines. */
    public ReadPlan tryPlan(long offset, int length) {
        return plan(offset, length, true);
    }

    private ReadPlan plan(long offset, int length, boolean onlyWithoutWaiting) {
        VolumeIoObserver observer = state.io();
        long start = observer == VolumeIoObserver.NONE ? 0 : System.nanoTime();
        ReadPlan plan = onlyWithoutWaiting ? pool.engine().reads().tryHead(state, offset, length)
                : pool.engine().reads().head(state, offset, length);
        if (plan != null && observer != VolumeIoObserver.NONE) {
            observer.read(length, System.nanoTime() - start);
        }
        return plan;
    }

    /** Writes {@code src.remaining()} bytes at {@code offset}; durable after the next {@link #flush()}. */
    public void write(long offset, ByteBuffer src) { write(offset, src, false); }

    /** Writes, and with {@code fua} returns only once the data is durable (forced unit access). */
    public void write(long offset, ByteBuffer src, boolean fua) {
        VolumeIoObserver observer = state.io();
        if (observer == VolumeIoObserver.NONE) {
            state.write(offset, src, fua);
            return;
        }
        int bytes = src.remaining();
        long start = System.nanoTime();
        state.write(offset, src, fua);
        observer.write(bytes, System.nanoTime() - start);
    }

    /**
     * Writes as {@link #write(long, ByteBuffer)} does only if that cannot wait: an overwrite in place
     * of data this volume alone holds, with locks, mappings and pages in memory; returns false
     * otherwise, {@code src} untouched. For an event loop, with {@link #write} elsewhere as the
     * fallback.
     */
    public boolean tryWrite(long offset, ByteBuffer src) {
        return observedTry(src.remaining(), () -> state.tryWrite(offset, src), false);
    }

    /** Durability barrier: every write completed before this call survives a crash after it returns. */
    public void flush() {
        VolumeIoObserver observer = state.io();
        if (observer == VolumeIoObserver.NONE) {
            state.flush();
            return;
        }
        long start = System.nanoTime();
        state.flush();
        observer.flush(System.nanoTime() - start);
    }

    /** Discards a range: it reads as zeros and its clusters return to the pool. */
    public void unmap(long offset, long length) {
        VolumeIoObserver observer = state.io();
        if (observer == VolumeIoObserver.NONE) {
            state.unmap(offset, length);
            return;
        }
        long start = System.nanoTime();
        state.unmap(offset, length);
        observer.unmap(length, System.nanoTime() - start);
    }

    /** Makes a range read as zeros; on a thin volume this is the same as unmapping it. */
    public void writeZeroes(long offset, long length) { unmap(offset, length); }

    /**
     * Atomic compare-and-write (SCSI COMPARE AND WRITE): if the data at {@code offset} equals
     * {@code expected}, writes {@code replacement}; otherwise throws {@link CompareMismatchException}.
     */
    public void compareAndWrite(long offset, ByteBuffer expected, ByteBuffer replacement) {
        VolumeIoObserver observer = state.io();
        if (observer == VolumeIoObserver.NONE) {
            state.compareAndWrite(offset, expected, replacement, false);
            return;
        }
        int bytes = replacement.remaining();
        long start = System.nanoTime();
        state.compareAndWrite(offset, expected, replacement, false);
        observer.write(bytes, System.nanoTime() - start);
    }

    /**
     * Where {@code offset} lies: the extent from it (at most {@code maxLength} bytes, cluster-granular
     * beyond the first cluster) that all holds data or all reads as zeros.
     */
    public Extent allocationAt(long offset, long maxLength) { return state.allocationAt(offset, maxLength); }

    /** Bytes of data the volume holds (what it would free if deleted, were nothing shared). */
    public long allocatedBytes() { return state.allocatedBytes(); }

    public void grow(long newSize) {
        if (newSize < sizeBytes()) {
            throw new InvalidIoException("grow to " + newSize + " is smaller than today's " + sizeBytes() + "; use shrink");
        }
        pool.engine().resize(state, newSize, false);
    }

    /** Shrinks the volume, discarding everything past the new size. */
    public void shrink(long newSize) { pool.engine().resize(state, newSize, true); }

    public void rename(String newName) { pool.engine().rename(state, newName); }

    /**
     * Hands the volume to {@code owner}, durably: for a layer adopting the volumes an older build
     * made for it before volumes had owners (they read as {@link VolumeOwner#USER}'s).
     */
    public void setOwner(VolumeOwner owner) { pool.engine().setOwner(state, owner); }

    /** Deletes the volume at once; space comes back in the background. */
    public void delete() { pool.engine().deleteVolume(state); }

    /** Takes a snapshot: constant time whatever the size. */
    public Snapshot createSnapshot(String name) {
        return new Snapshot(pool, pool.engine().snapshotGroup(List.of(state), name).get(0));
    }

    public Snapshot snapshot(String name) { return new Snapshot(pool, pool.engine().snapshot(state, name)); }

    /** Snapshots oldest first. */
    public List<Snapshot> snapshots() {
        return pool.engine().snapshots(state).stream().map(r -> new Snapshot(pool, r)).toList();
    }

    /** True while this is a linked clone reading through its origin snapshot. */
    public boolean isLinkedClone() {
        state.checkAlive();
        return state.hasOrigin();
    }

    /** Starts making this linked clone independent (the background copy of a full clone). */
    public FlattenJob flatten() { return new FlattenJob(pool.engine().startFlatten(state)); }

    /** The running flatten of this clone, or the last one that ended (finished, cancelled or failed), or null. */
    public FlattenJob flattenJob() {
        FlattenTask t = pool.engine().flattenTask(state);
        return t == null ? null : new FlattenJob(t);
    }

    @Override
    public String toString() { return state.toString(); }

    @Override
    public boolean equals(Object o) { return o instanceof Volume v && v.uuid().equals(uuid()); }

    @Override
    public int hashCode() { return uuid().hashCode(); }
}
