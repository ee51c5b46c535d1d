package io.depot.engine.core;

import java.util.Arrays;

/**
 * The newest mapping of {@link #SIZE} consecutive clusters of one volume's head (or, for a page of
 * a snapshot's directory, the newest born at or before the snapshot's epoch): the hot-path cache
 * that lets a read or an in-place overwrite find its physical cluster without RocksDB.
 *
 * <p>A cluster's slots are read and written only under that cluster's stripe lock. The page itself
 * is pinned while a change is being staged and stays unevictable until the commit that carries
 * its last change is durable, so a page reloaded from the store never misses a staged change.
 */
final class MapPage {
    static final int SHIFT = 10;
    static final int SIZE = 1 << SHIFT;

    final MappingCache.Directory dir;
    final long volume;
    final long index;
    final long[] values = new long[SIZE];
    final long[] births = new long[SIZE];

    // guarded by "this"
    private int pins;
    private long dirtySeq;
    private boolean evicted;

    volatile boolean referenced = true;

    MapPage(MappingCache.Directory dir, long index) {
        this.dir = dir;
        this.volume = dir.volume;
        this.index = index;
        Arrays.fill(values, MappingValue.NONE);
    }

    /** Pins the page for a change; false if it was evicted meanwhile (the caller reloads). */
    synchronized boolean pin() {
        if (evicted) {
            return false;
        }
        pins++;
        return true;
    }

    /** Ends a change staged in commit {@code seq}. */
    synchronized void unpin(long seq) {
        pins--;
        dirtySeq = Math.max(dirtySeq, seq);
    }

    /** Evicts the page if nothing pins it and its every change is durable. */
    synchronized boolean tryEvict(long durableSeq) {
        if (pins > 0 || dirtySeq > durableSeq) {
            return false;
        }
        evicted = true;
        return true;
    }

    synchronized boolean isEvicted() { return evicted; }
}
