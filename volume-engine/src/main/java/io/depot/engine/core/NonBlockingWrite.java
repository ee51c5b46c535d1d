package io.depot.engine.core;

import java.nio.ByteBuffer;

/**
 * The head write that never waits, for callers on an event loop (the NFS gateway answers an
 * unstable WRITE that overwrites a file's own data this way): an overwrite in place of clusters
 * the head alone owns, which changes no mapping and allocates nothing, so it is only positional
 * writes into the page cache. It gives up, having written nothing, whenever the blocking
 * {@link VolumeState#write} could have had to wait or to do more.
 */
final class NonBlockingWrite {
    private NonBlockingWrite() {}

    /**
     * Writes {@code src} at {@code offset} only if: the volume's and the clusters' locks are free now,
     * their mapping pages are cached, every cluster is mapped to data born in the current epoch
     * (overwritten in place: no copy-on-write, no allocation, no metadata), none of them is partly a
     * hole of the data file (a filesystem allocation), and the pages written are in the OS page
     * cache (a partial page would otherwise be read first); a checksummed cluster also needs its
     * mapping page durably open ({@link OpenPages#tryEnter}) and the blocks it writes in part to
     * pass their check (the blocking path reports the damage). Otherwise returns false with
     * {@code src} untouched. Left to the kernel: its throttling of writers when dirty pages pile up.
     */
    static boolean tryWrite(VolumeState v, PoolContext ctx, long offset, ByteBuffer src) {
        int length = src.remaining();
        return length > 0 && NonBlockingRead.underTriedLocks(v, ctx, offset, length, () -> writeInPlace(v, ctx, offset, length, src));
    }

    /** Checks every cluster first, then writes each run of consecutive physical clusters. */
    private static boolean writeInPlace(VolumeState v, PoolContext ctx, long offset, int length, ByteBuffer src) {
        int cs = ctx.clusterSize;
        int shift = ctx.clusterShift;
        long epoch = v.epoch();
        int clusters = (int) (((offset + length - 1) >>> shift) - (offset >>> shift) + 1);
        long[] runStart = new long[clusters];
        int[] runLength = new int[clusters];
        int runs = 0;
        for (long pos = offset, end = offset + length; pos < end; ) {
            long cluster = pos >>> shift;
            int within = (int) (pos & (cs - 1));
            int n = (int) Math.min(cs - within, end - pos);
            MapPage page = ctx.cache.cachedPage(v.pages(), cluster);
            if (page == null) {
                return false;
            }
            int slot = (int) (cluster & (MapPage.SIZE - 1));
            long value = page.values[slot];
            if (!MappingValue.isData(value) || MappingValue.isOverlay(value) || page.births[slot] != epoch || ctx.allocator.isHoley(MappingValue.phys(value))) {
                return false;
            }
            long at = ctx.position(MappingValue.phys(value), within);
            if (runs > 0 && runStart[runs - 1] + runLength[runs - 1] == at) {
                runLength[runs - 1] += n;
            } else {
                runStart[runs] = at;
                runLength[runs++] = n;
            }
            pos += n;
        }
        for (int i = 0; i < runs; i++) {
            // the 4 KiB blocks at a run's edges are read whole when checksummed: each is one page, resident with the bytes written
            if (!ctx.blocks.isCached(runStart[i], runLength[i])) {
                return false;
            }
        }
        MapPage[] entered = new MapPage[clusters];
        int[] slots = new int[clusters];
        int count = 0;
        try {
            for (long pos = offset, end = offset + length; pos < end; pos = ((pos >>> shift) + 1) << shift) {
                long cluster = pos >>> shift;
                MapPage page = ctx.cache.cachedPage(v.pages(), cluster);
                int slot = (int) (cluster & (MapPage.SIZE - 1));
                if (!MappingValue.hasChecksums(page.values[slot])) {
                    continue;
                }
                if (!ctx.openPages.tryEnter(page, slot)) {
                    return false;
                }
                entered[count] = page;
                slots[count++] = slot;
            }
            // the new CRCs of every cluster first; only once every check passed do the pages change
            int[] crcs = new int[clusters * ctx.blocksPerCluster];
            for (long pos = offset, end = offset + length; pos < end; pos = ((pos >>> shift) + 1) << shift) {
                long cluster = pos >>> shift;
                MapPage page = ctx.cache.cachedPage(v.pages(), cluster);
                int slot = (int) (cluster & (MapPage.SIZE - 1));
                long value = page.values[slot];
                int within = (int) (pos & (cs - 1));
                int n = (int) Math.min(cs - within, end - pos);
                int at = (int) ((cluster - (offset >>> shift)) * ctx.blocksPerCluster);
                if (MappingValue.hasChecksums(value) && InPlaceCrcs.compute(ctx, page, slot, MappingValue.phys(value), within, n, src,
                        src.position() + (int) (pos - offset), crcs, at) >= 0) {
                    return false;
                }
            }
            for (long pos = offset, end = offset + length; pos < end; pos = ((pos >>> shift) + 1) << shift) {
                long cluster = pos >>> shift;
                MapPage page = ctx.cache.cachedPage(v.pages(), cluster);
                int slot = (int) (cluster & (MapPage.SIZE - 1));
                if (MappingValue.hasChecksums(page.values[slot])) {
                    int within = (int) (pos & (cs - 1));
                    InPlaceCrcs.apply(page, slot, within, (int) Math.min(cs - within, end - pos), crcs,
                            (int) ((cluster - (offset >>> shift)) * ctx.blocksPerCluster));
                }
            }
            for (int i = 0; i < runs; i++) {
                ctx.writePositioned(runStart[i], runLength[i], src); // advances src
                ctx.damage.cleared(runStart[i], runStart[i] + runLength[i]);
            }
            return true;
        } finally {
            for (int k = 0; k < count; k++) {
                ctx.openPages.exit(entered[k], slots[k]);
            }
        }
    }
}
