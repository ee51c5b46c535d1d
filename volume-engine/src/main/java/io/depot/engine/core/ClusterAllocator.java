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
 * <p>A clean cluster that took a partial write is only partly allocated in a sparse file (the rest
 * is a hole). Once freed it is dirty but <em>holey</em>, and filling its holes costs the filesystem
 * more than growing the file (measured on ext4: a third of the speed). So whole-cluster writes take
 * fully allocated dirty space first, then clean space, and holey space last; partial writes, which
 * must write a dirty cluster whole anyway, take holey space before fully allocated space. Which
 * clusters are holey is a hint kept in memory only: after a restart every dirty cluster counts as
 * fully allocated. It never decides what is clean.
 *
 * <p>The map is not persisted: it is rebuilt at open from the mappings, which makes a leaked
 * cluster impossible. Clusters freed by a metadata change come back through {@link #release}
 * only once that change is durable, so a crash can never leave a mapping pointing at a cluster
 * that was reused.
 */
public final class ClusterAllocator {
    private final RoaringBitmap used = new RoaringBitmap();
    /** Free clusters that may hold old bytes, fully allocated in the data file as far as we know. */
    private final RoaringBitmap dirtyFree = new RoaringBitmap();
    /** Free clusters that may hold old bytes and are partly holes in the data file. */
    private final RoaringBitmap dirtyHoley = new RoaringBitmap();
    /** Used clusters whose first write was partial into a clean cluster: partly holes in the data file. */
    private final RoaringBitmap holey = new RoaringBitmap();
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

    /**
     * Hands out one free cluster. With {@code whole} (the caller writes the whole cluster, so old
     * bytes cannot show): fully allocated dirty space, then clean, then holey dirty. Otherwise clean
     * space first (the caller writes only its bytes, and the cluster becomes holey), then holey dirty,
     * then fully allocated dirty (the caller writes a dirty cluster whole).
     */
    public synchronized Allocation allocate(boolean whole) {
        if (whole && !dirtyFree.isEmpty()) {
            return takeDirty(dirtyFree);
        }
        Allocation clean = takeClean();
        if (clean != null) {
            if (!whole) {
                holey.add((int) clean.phys());
            }
            return clean;
        }
        if (!dirtyHoley.isEmpty()) {
            return takeDirty(dirtyHoley);
        }
        if (!dirtyFree.isEmpty()) {
            return takeDirty(dirtyFree);
        }
        throw new OutOfSpaceException("pool is full: all " + capacity + " clusters are in use");
    }

    private Allocation takeClean() {
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
        return null;
    }

    /** The next cluster of {@code from} at or after the cursor (wrapping), written whole by its taker: not holey. */
    private Allocation takeDirty(RoaringBitmap from) {
        long next = from.nextValue(dirtyCursor);
        int phys = next >= 0 ? (int) next : from.first();
        from.remove(phys);
        used.add(phys);
        dirtyCursor = phys + 1;
        return new Allocation(phys, false);
    }

    /**
     * Reserves up to {@code n} consecutive free clusters for one multi-cluster write, so it lands
     * contiguously even while other writers allocate. With {@code whole} (the write fills them): the
     * next run of fully allocated dirty clusters, else {@code n} clean clusters from the frontier, else
     * the next run of holey dirty clusters. Without: {@code n} clean clusters from the frontier. Null
     * if that finds no room (the caller then allocates cluster by cluster).
     */
    public synchronized Run reserveRun(int n, boolean whole) {
        if (n < 2) {
            return null;
        }
        if (whole && !dirtyFree.isEmpty()) {
            return takeDirtyRun(dirtyFree, n, false);
        }
        if (cleanFrom + n <= capacity) {
            long first = cleanFrom;
            cleanFrom += n;
            used.add(first, first + n);
            return new Run(first, n, true, false);
        }
        if (whole && !dirtyHoley.isEmpty()) {
            return takeDirtyRun(dirtyHoley, n, true);
        }
        return null;
    }

    private Run takeDirtyRun(RoaringBitmap from, int n, boolean wasHoley) {
        long next = from.nextValue(dirtyCursor);
        int first = next >= 0 ? (int) next : from.first();
        long absent = from.nextAbsentValue(first);
        long end = Math.min(absent < 0 ? (long) first + n : absent, (long) first + n);
        from.remove(first, end);
        used.add((long) first, end);
        dirtyCursor = (int) end;
        return new Run(first, (int) (end - first), false, wasHoley);
    }

    /** Consecutive clusters reserved for one write: all clean, or all dirty (all holey, or none). */
    public record Run(long first, int count, boolean clean, boolean holey) {}

    /** Hands back reserved clusters that were never written: they are as they were when reserved. */
    public synchronized void returnUnused(Run run, long from) {
        long end = run.first() + run.count();
        if (from >= end) {
            return;
        }
        used.remove(from, end);
        (run.clean() ? cleanFree : run.holey() ? dirtyHoley : dirtyFree).add(from, end);
    }

    /** Returns clusters whose release is now durable. */
    public synchronized void release(RoaringBitmap clusters) {
        used.andNot(clusters);
        RoaringBitmap inRange = clusters.clone();
        if (cleanFrom < (1L << 32)) {
            inRange.remove(cleanFrom, 1L << 32);
        }
        RoaringBitmap wereHoley = RoaringBitmap.and(inRange, holey);
        holey.andNot(clusters);
        inRange.andNot(wereHoley);
        dirtyFree.or(inRange);
        dirtyHoley.or(wereHoley);
    }

    /** Grows (never shrinks) the pool's capacity. */
    public synchronized void grow(long capacityClusters) {
        if (capacityClusters > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("pool too large: at most 2^31 clusters");
        }
        capacity = Math.max(capacity, capacityClusters);
    }

    /** Whether a used cluster is partly holes in the data file (its first write was partial into a clean cluster). */
    public synchronized boolean isHoley(long phys) { return holey.contains((int) phys); }

    public synchronized long usedClusters() { return used.getLongCardinality(); }

    public synchronized long capacityClusters() { return capacity; }

    public synchronized RoaringBitmap usedSnapshot() { return used.clone(); }

    /** A cluster handed out; {@code clean} says it reads as zeros today. */
    public record Allocation(long phys, boolean clean) {}
}
