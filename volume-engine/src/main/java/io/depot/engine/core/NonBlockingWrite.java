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
     * cache (a partial page would otherwise be read first). Otherwise returns false with
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
            if (!MappingValue.isData(value) || page.births[slot] != epoch || ctx.allocator.isHoley(MappingValue.phys(value))) {
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
            if (!ctx.blocks.isCached(runStart[i], runLength[i])) {
                return false;
            }
        }
        for (int i = 0; i < runs; i++) {
            ctx.writePositioned(runStart[i], runLength[i], src); // advances src
        }
        return true;
    }
}
