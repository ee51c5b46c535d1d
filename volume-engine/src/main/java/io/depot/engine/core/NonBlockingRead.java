package io.depot.engine.core;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The head read that never waits, for callers on an event loop (the NFS gateway answers READs from
 * memory this way and falls back to a worker thread when it cannot). It reads what the blocking read
 * would, from the same cached mapping pages and the same data file, but gives up instead of waiting.
 */
final class NonBlockingRead {
    private NonBlockingRead() {}

    /** {@link #tryRead(VolumeState, PoolContext, long, int, ReadSink)} into a buffer: false with its position unchanged. */
    static boolean tryRead(VolumeState v, PoolContext ctx, long offset, ByteBuffer dst) {
        int start = dst.position();
        if (tryRead(v, ctx, offset, dst.remaining(), ReadSink.into(ctx.blocks, dst))) {
            return true;
        }
        dst.position(start);
        return false;
    }

    /**
     * Reads as {@link VolumeState#read} does, but only if nothing on the way can wait: the volume's and the
     * clusters' locks are free now, their mapping pages are cached, every mapped byte is in the OS
     * page cache, and no cluster reads through a clone origin. Otherwise returns false, and what
     * {@code dst} got is to be dropped. For callers that must not block (an event loop); they fall
     * back to {@link VolumeState#read} elsewhere.
     */
    static boolean tryRead(VolumeState v, PoolContext ctx, long offset, int length, ReadSink dst) {
        return underTriedLocks(v, ctx, offset, length, () -> length == 0 || readRuns(v, ctx, offset, length, dst));
    }

    /**
     * Runs {@code io} on a sector-aligned range inside the volume with the volume's I/O lock and the
     * range's stripe locks taken only if they are free now; false (without running it) otherwise or
     * for a bad range (the blocking path answers with the proper error).
     */
    static boolean underTriedLocks(VolumeState v, PoolContext ctx, long offset, int length, java.util.function.BooleanSupplier io) {
        if (!v.tryEnterIo()) {
            return false;
        }
        try {
            if (v.isDeleted() || offset < 0 || offset > v.sizeBytes() - length || ((offset | length) & 511) != 0) {
                return false;
            }
            if (length == 0) {
                return io.getAsBoolean();
            }
            ReentrantLock[] locks = ctx.stripesFor(v.id(), offset >>> ctx.clusterShift, (offset + length - 1) >>> ctx.clusterShift);
            int held = 0;
            try {
                while (held < locks.length && locks[held].tryLock()) {
                    held++;
                }
                return held == locks.length && io.getAsBoolean();
            } finally {
                for (int i = held - 1; i >= 0; i--) {
                    locks[i].unlock();
                }
            }
        } finally {
            v.exitIo();
        }
    }

    /** The head's runs read from cached pages and cached bytes only; false when it would wait. */
    private static boolean readRuns(VolumeState v, PoolContext ctx, long offset, int length, ReadSink dst) {
        MappingCache cache = ctx.cache;
        MappingCache.Directory pages = v.pages();
        int clusterShift = ctx.clusterShift;
        int cs = ctx.clusterSize;
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            long cluster = pos >>> clusterShift;
            int within = (int) (pos & (cs - 1));
            MapPage page = cache.cachedPage(pages, cluster);
            if (page == null) {
                return false;
            }
            int slot = (int) (cluster & (MapPage.SIZE - 1));
            long value = page.values[slot];
            if (MappingValue.isOverlay(value)) {
                return false;   // read in stretches from two clusters: the blocking path does it
            }
            if (!MappingValue.isData(value)) {
                if (MappingValue.isNone(value) && v.hasOrigin()) { // reads through the origin: not here
                    return false;
                }
                int n = (int) Math.min(cs - within, end - pos);
                dst.zeros(n);
                pos += n;
                continue;
            }
            long phys = MappingValue.phys(value);
            long at = ctx.position(phys, within);
            RunChecks checks = RunChecks.start(ctx.damage, v, null, pos, at, within).cluster(value, page, slot);
            long runEnd = Math.min((cluster + 1) << clusterShift, end);
            while (runEnd < end) {
                long nextCluster = runEnd >>> clusterShift;
                MapPage p = cache.cachedPage(pages, nextCluster);
                int nextSlot = (int) (nextCluster & (MapPage.SIZE - 1));
                long next = p == null ? MappingValue.NONE : p.values[nextSlot];
                if (!MappingValue.isData(next) || MappingValue.isOverlay(next) || MappingValue.phys(next) != phys + (nextCluster - cluster)) {
                    break;
                }
                checks.cluster(next, p, nextSlot);
                runEnd = Math.min(runEnd + cs, end);
            }
            int n = (int) (runEnd - pos);
            // a checked run also reads the rest of the 4 KiB blocks at its edges: each is one page of the
            // page cache, resident with the byte asked for (or past the end of the file: zeros)
            if (!ctx.blocks.isCached(at, n)) {
                return false;
            }
            dst.data(at, n, checks);
            pos = runEnd;
        }
        return true;
    }
}
