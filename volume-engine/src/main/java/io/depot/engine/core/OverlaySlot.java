package io.depot.engine.core;

/**
 * One overlay mapping as a read needs it (see {@link MappingValue}): its own cluster, its base, which
 * blocks are its own, and the CRCs of every block. A view of a cached page's slot, or decoded from a
 * stored value.
 */
record OverlaySlot(long value, long base, long[] mask, int maskAt, int[] crcs, int crcAt, int blocks) {

    static OverlaySlot of(MapPage page, int slot) {
        return new OverlaySlot(page.values[slot], page.bases[slot], page.masks, slot * page.maskWords, page.crcs, slot * page.blocks,
                page.blocks);
    }

    static OverlaySlot of(long value, byte[] stored, int blocks) {
        int words = MappingValue.maskWords(blocks);
        long[] mask = new long[words];
        MappingValue.decodeMask(stored, mask, 0, words);
        int[] crcs = new int[blocks];
        MappingValue.decodeCrcs(stored, crcs, 0, blocks);
        return new OverlaySlot(value, MappingValue.decodeBase(stored), mask, 0, crcs, 0, blocks);
    }

    /** No mapping (NONE). */
    static OverlaySlot none(int blocks) {
        return new OverlaySlot(MappingValue.NONE, 0, new long[MappingValue.maskWords(blocks)], 0, new int[blocks], 0, blocks);
    }

    /** Any stored mapping value: its long, its CRCs if it has them, its base and mask if it is an overlay. */
    static OverlaySlot ofStored(byte[] stored, int blocks) {
        long value = MappingValue.decode(stored);
        if (MappingValue.isOverlay(value)) {
            return of(value, stored, blocks);
        }
        int[] crcs = new int[blocks];
        if (MappingValue.hasChecksums(value)) {
            MappingValue.decodeCrcs(stored, crcs, 0, blocks);
        }
        return new OverlaySlot(value, 0, new long[MappingValue.maskWords(blocks)], 0, crcs, 0, blocks);
    }

    /** True if block {@code b} is in the entry's own cluster, false if it is read from the base. */
    boolean own(int b) { return (mask[maskAt + (b >>> 6)] & (1L << b)) != 0; }

    /** The physical cluster holding block {@code b}. */
    long clusterOf(int b) { return own(b) ? MappingValue.phys(value) : base; }

    /**
     * Reads {@code length} bytes at {@code within} of this overlay (of logical {@code cluster} of
     * {@code volume}'s head or {@code snapshot}) into {@code dst}, one checked run per stretch of
     * blocks that lie in the same physical cluster.
     */
    void read(PoolContext ctx, VolumeState volume, String snapshot, long cluster, int within, int length, ReadSink dst) {
        int pos = within;
        int end = within + length;
        while (pos < end) {
            int b = pos >>> BlockChecksums.SHIFT;
            boolean own = own(b);
            int segEnd = Math.min(end, (b + 1) << BlockChecksums.SHIFT);
            while (segEnd < end && own((segEnd >>> BlockChecksums.SHIFT)) == own) {
                segEnd = Math.min(end, segEnd + BlockChecksums.BLOCK);
            }
            long at = ctx.position(own ? MappingValue.phys(value) : base, pos);
            long logical = (cluster << ctx.clusterShift) + pos;
            dst.data(at, segEnd - pos, RunChecks.start(ctx.damage, volume, snapshot, logical, at, pos).slot(this));
            pos = segEnd;
        }
    }
}
