package io.depot.engine.core;

import java.nio.ByteBuffer;

/**
 * The CRCs of an overwrite in place, in two steps so that nothing changes unless every check
 * passes: {@link #compute} the new CRCs of the blocks written (a block written only in part is read,
 * checked against its CRC and merged first), then {@link #apply} them to the page.
 */
final class InPlaceCrcs {
    private InPlaceCrcs() {}

    /**
     * Computes into {@code out[at..]} the CRCs that blocks {@code within >> 12} to
     * {@code (within + length - 1) >> 12} of slot {@code slot} (at physical cluster {@code phys}) will
     * have once {@code length} bytes of {@code src} from absolute index {@code srcAt} are written at
     * {@code within}. Returns -1, or the byte offset in the cluster of a block written in part whose
     * current bytes fail their CRC (the write must not keep them).
     */
    static int compute(PoolContext ctx, MapPage page, int slot, long phys, int within, int length, ByteBuffer src, int srcAt,
                       int[] out, int at) {
        int first = within >>> BlockChecksums.SHIFT;
        int last = (within + length - 1) >>> BlockChecksums.SHIFT;
        for (int b = first; b <= last; b++) {
            int bStart = b << BlockChecksums.SHIFT;
            int bEnd = bStart + BlockChecksums.BLOCK;
            int from = Math.max(bStart, within);
            int to = Math.min(bEnd, within + length);
            if (from == bStart && to == bEnd) {
                out[at + b - first] = BlockChecksums.crc(src, srcAt + (bStart - within), BlockChecksums.BLOCK);
                continue;
            }
            ByteBuffer block = BlockChecksums.scratch();
            ctx.blocks.read(block, ctx.position(phys, bStart));
            if (BlockChecksums.crc(block, 0, BlockChecksums.BLOCK) != page.crcs[slot * page.blocks + b]) {
                return bStart;
            }
            block.put(from - bStart, src, srcAt + (from - within), to - from);
            out[at + b - first] = BlockChecksums.crc(block, 0, BlockChecksums.BLOCK);
        }
        return -1;
    }

    /** Stores what {@link #compute} gave for the same write into the page. */
    static void apply(MapPage page, int slot, int within, int length, int[] out, int at) {
        int first = within >>> BlockChecksums.SHIFT;
        int last = (within + length - 1) >>> BlockChecksums.SHIFT;
        System.arraycopy(out, at, page.crcs, slot * page.blocks + first, last - first + 1);
    }
}
