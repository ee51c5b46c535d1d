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
 *
 * <p>It also holds the CRC32C of every 4 KiB block of its clusters ({@link #crcs}, {@code blocks}
 * per cluster) and, while its clusters are being overwritten in place, the page's <em>open</em> state
 * (see {@link OpenPages}): a page whose CRCs are newer than the store's is not evicted.
 */
final class MapPage {
    static final int SHIFT = 10;
    static final int SIZE = 1 << SHIFT;

    final MappingCache.Directory dir;
    final long volume;
    final long index;
    final long[] values = new long[SIZE];
    final long[] births = new long[SIZE];
    /** CRC32C of block b of slot i at {@code crcs[i * blocks + b]}; meaningful where the value has checksums. */
    final int[] crcs;
    final int blocks;
    /** Overlay entries: the base cluster of slot i, and its own-block mask at {@code masks[i * maskWords]}. */
    final long[] bases = new long[SIZE];
    final long[] masks;
    final int maskWords;

    // open state, guarded by "this" (see OpenPages)
    /** The commit that carries this page's open mark, or 0 while the page is closed. */
    long openSeq;
    /** In-place writes between {@link OpenPages#enter} and {@link OpenPages#exit}. */
    int inPlaceWriters;
    /** A settle is writing this page's CRCs: in-place writers wait. */
    boolean settling;
    long lastInPlaceWriteNanos;
    /** Slots whose CRCs changed since they were last stored. */
    final long[] dirty = new long[SIZE / 64];
    /** Slots mapped after the open mark was staged: a crash loses their mapping with the mark or keeps both. */
    final long[] fresh = new long[SIZE / 64];

    // guarded by "this"
    private int pins;
    private long dirtySeq;
    private boolean evicted;

    volatile boolean referenced = true;

    MapPage(MappingCache.Directory dir, long index, int blocks) {
        this.dir = dir;
        this.volume = dir.volume;
        this.index = index;
        this.blocks = blocks;
        this.crcs = new int[SIZE * blocks];
        this.maskWords = MappingValue.maskWords(blocks);
        this.masks = new long[SIZE * maskWords];
        Arrays.fill(values, MappingValue.NONE);
    }

    /** The stored form of slot {@code slot}'s checksummed value as the page holds it now. */
    byte[] encode(int slot) {
        long v = values[slot];
        if (MappingValue.isOverlay(v)) {
            return MappingValue.encodeOverlay(v, bases[slot], masks, slot * maskWords, crcs, slot * blocks, blocks);
        }
        return MappingValue.encode(v, crcs, slot * blocks, blocks);
    }

    /** Block {@code b} of overlay slot {@code slot} is in the slot's own cluster (not its base). */
    boolean ownBlock(int slot, int b) { return (masks[slot * maskWords + (b >>> 6)] & (1L << b)) != 0; }

    /** Loads slot {@code slot} from a stored value (its long already decoded as {@code v}). */
    void load(int slot, long v, byte[] stored) {
        values[slot] = v;
        if (MappingValue.isOverlay(v)) {
            bases[slot] = MappingValue.decodeBase(stored);
            MappingValue.decodeMask(stored, masks, slot * maskWords, maskWords);
        }
    }

    static boolean bit(long[] bits, int slot) { return (bits[slot >>> 6] & (1L << slot)) != 0; }

    static void set(long[] bits, int slot) { bits[slot >>> 6] |= 1L << slot; }

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
        if (pins > 0 || dirtySeq > durableSeq || inPlaceWriters > 0 || anyDirty()) {
            return false;
        }
        evicted = true;
        return true;
    }

    /** Evicted: never to be changed or entered again (a reload makes a new page). */
    synchronized boolean isEvicted() { return evicted; }

    /** Under the monitor: some slot's CRCs are newer than the store's (the page must stay until settled). */
    boolean anyDirty() {
        for (long w : dirty) {
            if (w != 0) {
                return true;
            }
        }
        return false;
    }

}
