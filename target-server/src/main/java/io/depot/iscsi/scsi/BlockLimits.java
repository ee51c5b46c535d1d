package io.depot.iscsi.scsi;

/**
 * Every size limit the logical unit advertises (Block Limits VPD page B0h, SBC-3 §6.5.3) and
 * enforces, kept in one place so what we report and what we check cannot drift apart.
 */
final class BlockLimits {
    private BlockLimits() {}

    /** Logical block size in bytes. */
    static final int BLOCK_SIZE = 512;
    static final int BLOCK_SHIFT = 9;
    /**
     * READ CAPACITY(16) LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT: 0, one 512-byte logical block per
     * physical block. The engine writes 512-byte blocks in place without read-modify-write, so 512
     * is the honest answer; the granularity that matters (the 64 KiB cluster) is advertised as the
     * optimal transfer and unmap granularity in VPD B0h. (Claiming 4 KiB also trips libiscsi's
     * GetLBAStatus.UnmapSingle, which queries LBA i+1 but expects a descriptor at i+lbppb.)
     */
    static final int PHYSICAL_BLOCK_EXPONENT = 0;

    /** MAXIMUM TRANSFER LENGTH: 8 MiB per READ/WRITE/VERIFY. */
    static final int MAX_TRANSFER_BLOCKS = 16384;
    /** OPTIMAL TRANSFER LENGTH GRANULARITY: 64 KiB, the engine's default cluster. */
    static final int OPTIMAL_GRANULARITY_BLOCKS = 128;
    /** OPTIMAL TRANSFER LENGTH: 1 MiB. */
    static final int OPTIMAL_TRANSFER_BLOCKS = 2048;
    /** MAXIMUM UNMAP LBA COUNT: 256 MiB per UNMAP command (summed over its descriptors). */
    static final int MAX_UNMAP_BLOCKS = 512 * 1024;
    /** MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT. */
    static final int MAX_UNMAP_DESCRIPTORS = 256;
    /** OPTIMAL UNMAP GRANULARITY: one cluster; smaller unmaps only zero-fill. */
    static final int UNMAP_GRANULARITY_BLOCKS = 128;
    /**
     * MAXIMUM WRITE SAME LENGTH: 16 MiB, so one pattern write cannot hold a worker for long; a
     * multiple of the cluster so an initiator splitting a large range keeps its pieces aligned.
     * Kept below 65536 blocks: libiscsi's WriteSame16.Unmap then checks that a 65536-block WRITE
     * SAME is refused, instead of moving 65536 blocks with WRITE(16) past MAXIMUM TRANSFER LENGTH.
     */
    static final long MAX_WRITE_SAME_BLOCKS = 32 * 1024;
    /**
     * MAXIMUM COMPARE AND WRITE LENGTH: the most the one-byte field holds. VMware ATS uses one
     * block; the engine compares and writes longer ranges atomically too (all stripe locks held).
     */
    static final int MAX_COMPARE_AND_WRITE_BLOCKS = 255;

    /** Buffer for WRITE SAME patterns and VERIFY reads: pooled, reused across the range. */
    static final int CHUNK_BYTES = 1 << 20;
}
