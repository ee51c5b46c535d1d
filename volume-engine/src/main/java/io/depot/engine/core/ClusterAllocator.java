package io.depot.engine.core;

import io.depot.engine.OutOfSpaceException;
import org.roaringbitmap.RoaringBitmap;

/**
 * Free-space map of the pool's physical clusters.
 *
 * <p>Free clusters are either <em>clean</em> (known to read as zeros: never written, past the end
 * of the sparse data file) or <em>dirty</em> (may hold a freed cluster's old contents). A partial
 * write into a dirty cluster must write the whole cluster so old bytes never become readable.
 * A write that covers its new cluster only in part wants a clean one (the rest already reads as
 * zeros); a write that fills the whole cluster (a full-cluster write, a copy-on-write image) is as
 * well served by a dirty one, and takes dirty space first: that space is already allocated in the
 * filesystem, whereas a clean cluster past the end of a sparse file makes the filesystem allocate
 * blocks (measured on ext4: growing a file sequentially runs at about half the speed of overwriting
 * one) and leaves fewer clean clusters for partial writes. Clean clusters are handed out in
 * ascending order so the data file grows sequentially.
 *
 * <p>The map is not persisted: it is rebuilt at open from the mappings, which makes a leaked
 * cluster impossible. Clusters freed by a metadata change come back through {@link #release}
 * only once that change is durable, so a crash can never leave a mapping pointing at a cluster
 * that was reused.
 */
public final class ClusterAllocator {
    private final RoaringBitmap used = new RoaringBitmap();
    private final RoaringBitmap dirtyFree = new RoaringBitmap();
    /** Clean clusters below the frontier: reserved for a write and handed back unused. */
    private final RoaringBitmap cleanFree = new RoaringBitmap();
    private long capacity;
    private long cleanFrom;   // every cluster >= cleanFrom that is not used is clean
    private int dirtyCursor;

    /** @param dirtyBelow clusters below this index may hold old bytes when free */
    public ClusterAllocator(long capacityClusters, long dirtyBelow) {
        if (capacityClusters > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("pool too large: at most 2^31 clusters");
        }
        this.capacity = capacityClusters;
        this.cleanFrom = Math.min(dirtyBelow, capacityClusters);
    }

    /** During open: marks a cluster a mapping refers to. Returns false if it was already marked (double reference). */
    public synchronized boolean markUsed(long phys) {
        return used.checkedAdd((int) phys);
    }

    /** During open, after every {@link #markUsed}: the unused clusters below the clean frontier become dirty free space. */
    public synchronized void finishRebuild() {
        if (cleanFrom > 0) {
            dirtyFree.add(0L, cleanFrom);
            dirtyFree.andNot(used);
        }
        // a mapping may point past the frontier (a pool whose file was truncated is corrupt, but we must not hand out a used cluster)
        int highestUsed = used.isEmpty() ? -1 : used.last();
        if (highestUsed >= cleanFrom) {
            dirtyFree.add(cleanFrom, (long) highestUsed + 1);
            dirtyFree.andNot(used);
            cleanFrom = (long) highestUsed + 1;
        }
    }

    /** Hands out one free cluster, clean ones first. */
    public synchronized Allocation allocate() {
        return allocate(false);
    }

    /**
     * Hands out one free cluster: dirty ones first if {@code whole} (the caller writes the whole
     * cluster, so old bytes cannot show), clean ones first otherwise.
     */
    public synchronized Allocation allocate(boolean whole) {
        if (whole && !dirtyFree.isEmpty()) {
            return takeDirty();
        }
        if (!cleanFree.isEmpty()) {
            int phys = cleanFree.first();
            cleanFree.remove(phys);
            used.add(phys);
            return new Allocation(phys, true);
        }
        if (cleanFrom < capacity) {
            long phys = cleanFrom++;
            used.add((int) phys);
            return new Allocation(phys, true);
        }
        if (dirtyFree.isEmpty()) {
            throw new OutOfSpaceException("pool is full: all " + capacity + " clusters are in use");
        }
        return takeDirty();
    }

    private Allocation takeDirty() {
        long next = dirtyFree.nextValue(dirtyCursor);
        int phys = next >= 0 ? (int) next : dirtyFree.first();
        dirtyFree.remove(phys);
        used.add(phys);
        dirtyCursor = phys + 1;
        return new Allocation(phys, false);
    }

    /**
     * Reserves up to {@code n} consecutive free clusters for one multi-cluster write, so it lands
     * contiguously even while other writers allocate. With {@code whole} (the write fills them) the
     * next run of dirty clusters comes first, at most {@code n} of it; otherwise, or if there is no
     * dirty space, {@code n} clean clusters from the frontier. Null if neither has room (the caller
     * then allocates cluster by cluster).
     */
    public synchronized Run reserveRun(int n, boolean whole) {
        if (n < 2) {
            return null;
        }
        if (whole && !dirtyFree.isEmpty()) {
            long next = dirtyFree.nextValue(dirtyCursor);
            int first = next >= 0 ? (int) next : dirtyFree.first();
            long absent = dirtyFree.nextAbsentValue(first);
            long end = Math.min(absent < 0 ? (long) first + n : absent, (long) first + n);
            dirtyFree.remove(first, end);
            used.add((long) first, end);
            dirtyCursor = (int) end;
            return new Run(first, (int) (end - first), false);
        }
        if (cleanFrom + n > capacity) {
            return null;
        }
        long first = cleanFrom;
        cleanFrom += n;
        used.add(first, first + n);
        return new Run(first, n, true);
    }

    /** Consecutive clusters reserved for one write: all clean, or all dirty. */
    public record Run(long first, int count, boolean clean) {}

    /** Hands back reserved clusters that were never written: they are as clean or dirty as when reserved. */
    public synchronized void returnUnused(long first, long end, boolean clean) {
        if (first >= end) {
            return;
        }
        used.remove(first, end);
        if (clean) {
            cleanFree.add(first, end);
        } else {
            dirtyFree.add(first, end);
        }
    }

    /** Returns clusters whose release is now durable. */
    public synchronized void release(RoaringBitmap clusters) {
        used.andNot(clusters);
        RoaringBitmap inRange = clusters.clone();
        if (cleanFrom < (1L << 32)) {
            inRange.remove(cleanFrom, 1L << 32);
        }
        dirtyFree.or(inRange);
    }

    /** Grows (never shrinks) the pool's capacity. */
    public synchronized void grow(long capacityClusters) {
        if (capacityClusters > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("pool too large: at most 2^31 clusters");
        }
        capacity = Math.max(capacity, capacityClusters);
    }

    public synchronized long usedClusters() { return used.getLongCardinality(); }

    public synchronized long capacityClusters() { return capacity; }

    public synchronized RoaringBitmap usedSnapshot() { return used.clone(); }

    /** A cluster handed out; {@code clean} says it reads as zeros today. */
    public record Allocation(long phys, boolean clean) {}
}
