package io.depot.engine.core;

import io.depot.engine.store.MetaBatch;
import java.util.Arrays;

/**
 * The pending part of a multi-cluster write: bytes of consecutive clusters bound for one contiguous
 * stretch of the data file (so one positional write carries them, up to {@link #MAX_BYTES}), and
 * which of those clusters go to fresh clusters and must be mapped once the stretch is written.
 */
final class ContiguousRun {
    /**
     * The most one call writes. The kernel caches a file in folios as large as the writes that first
     * filled its pages (ext4 with large folios, Linux 6.x), and a later 4 KiB overwrite into a 1 MiB
     * folio measured 2.6x slower than into a small one (docs/benchmarks.md, run 6). 64 KiB, the
     * default cluster size, keeps folios as they always were while cutting the calls of a 1 MiB write
     * at 4 KiB clusters from 256 to 16.
     */
    static final int MAX_BYTES = 64 << 10;

    private final int clusterShift;
    private long firstPhys;
    private int within;
    private int length;
    private int redirects;
    private int mapped;
    private long[] cluster = new long[0];
    private long[] oldValue = new long[0];
    private long[] oldBirth = new long[0];
    private long[] newPhys = new long[0];

    /** CRCs of redirect k's blocks at {@code crcs[k * blocks]}. */
    private final int blocks;
    private int[] crcs = new int[0];
    /** Slots overwritten in place in this run, entered in {@link OpenPages} until the run is written. */
    private MapPage[] inPlacePages = new MapPage[0];
    private int[] inPlaceSlots = new int[0];
    private long[] inPlaceClusters = new long[0];
    private long[] inPlacePhys = new long[0];
    private int[] inPlaceWithin = new int[0];
    private int[] inPlaceLength = new int[0];
    private int[] inPlaceOffset = new int[0];
    private int inPlace;

    ContiguousRun(int clusterShift, int blocksPerCluster) {
        this.clusterShift = clusterShift;
        this.blocks = blocksPerCluster;
    }

    /**
     * Adds {@code n} bytes at {@code within} of physical cluster {@code phys} if they land right after
     * the run in the data file (or the run is empty); false if they do not, and nothing changes.
     */
    boolean extend(long phys, int within, int n) {
        if (length == 0) {
            firstPhys = phys;
            this.within = within;
            length = n;
            return true;
        }
        if (length + n > MAX_BYTES || (phys << clusterShift) + within != (firstPhys << clusterShift) + this.within + length) {
            return false;
        }
        length += n;
        return true;
    }

    /** Records that {@code c}, mapped to {@code v} born at {@code birth}, moves to the fresh cluster {@code phys}. */
    void redirected(long c, long v, long birth, long phys) {
        if (redirects == cluster.length) {
            int grown = Math.max(8, redirects * 2);
            cluster = Arrays.copyOf(cluster, grown);
            oldValue = Arrays.copyOf(oldValue, grown);
            oldBirth = Arrays.copyOf(oldBirth, grown);
            newPhys = Arrays.copyOf(newPhys, grown);
            crcs = Arrays.copyOf(crcs, grown * blocks);
        }
        cluster[redirects] = c;
        oldValue[redirects] = v;
        oldBirth[redirects] = birth;
        newPhys[redirects] = phys;
        redirects++;
    }

    long firstPhys() { return firstPhys; }

    int within() { return within; }

    int length() { return length; }

    int redirects() { return redirects; }

    int mapped() { return mapped; }

    long cluster(int k) { return cluster[k]; }

    long oldValue(int k) { return oldValue[k]; }

    long oldBirth(int k) { return oldBirth[k]; }

    long newPhys(int k) { return newPhys[k]; }

    void markMapped() { mapped++; }

    /** The CRC array of the redirects: redirect k's at {@link #crcFrom}(k). */
    int[] crcs() { return crcs; }

    int crcFrom(int k) { return k * blocks; }

    /**
     * Records an overwrite in place entered in {@link OpenPages}, to {@link #exitInPlace} once written:
     * {@code n} bytes at {@code within} of {@code cluster} (physical {@code phys}), the run's bytes from
     * {@code offsetInRun} on. Its CRCs change only when the run is written.
     */
    void enteredInPlace(MapPage page, int slot, long cluster, long phys, int within, int n, int offsetInRun) {
        if (inPlace == inPlacePages.length) {
            int grown = Math.max(8, inPlace * 2);
            inPlacePages = Arrays.copyOf(inPlacePages, grown);
            inPlaceSlots = Arrays.copyOf(inPlaceSlots, grown);
            inPlaceClusters = Arrays.copyOf(inPlaceClusters, grown);
            inPlacePhys = Arrays.copyOf(inPlacePhys, grown);
            inPlaceWithin = Arrays.copyOf(inPlaceWithin, grown);
            inPlaceLength = Arrays.copyOf(inPlaceLength, grown);
            inPlaceOffset = Arrays.copyOf(inPlaceOffset, grown);
        }
        inPlacePages[inPlace] = page;
        inPlaceSlots[inPlace] = slot;
        inPlaceClusters[inPlace] = cluster;
        inPlacePhys[inPlace] = phys;
        inPlaceWithin[inPlace] = within;
        inPlaceLength[inPlace] = n;
        inPlaceOffset[inPlace++] = offsetInRun;
    }

    int inPlace() { return inPlace; }

    MapPage inPlacePage(int k) { return inPlacePages[k]; }

    int inPlaceSlot(int k) { return inPlaceSlots[k]; }

    long inPlaceCluster(int k) { return inPlaceClusters[k]; }

    long inPlacePhys(int k) { return inPlacePhys[k]; }

    int inPlaceWithin(int k) { return inPlaceWithin[k]; }

    int inPlaceLength(int k) { return inPlaceLength[k]; }

    int inPlaceOffset(int k) { return inPlaceOffset[k]; }

    /** The run's overwrites in place are written (or failed): tells {@link OpenPages}. */
    void exitInPlace(OpenPages open) {
        for (int k = 0; k < inPlace; k++) {
            open.exit(inPlacePages[k], inPlaceSlots[k]);
            inPlacePages[k] = null;
        }
        inPlace = 0;
    }

    void clear() {
        length = 0;
        redirects = 0;
        mapped = 0;
    }

    /**
     * After a failure: the fresh clusters not mapped yet go back to the allocator after the next
     * commit (as a failed single-cluster redirect's does), and the run is emptied.
     */
    void abandon(CommitPipeline pipeline) {
        for (int k = mapped; k < redirects; k++) {
            pipeline.stage(new MetaBatch(), newPhys[k]);
        }
        clear();
    }
}
