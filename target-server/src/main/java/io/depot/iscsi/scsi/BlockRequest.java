package io.depot.iscsi.scsi;

import static io.depot.iscsi.scsi.BlockLimits.BLOCK_SHIFT;

/**
 * The LBA range and flags of a block command: the one CDB decoding step for every READ, WRITE,
 * VERIFY, WRITE AND VERIFY, WRITE SAME, PRE-FETCH, SYNCHRONIZE CACHE, COMPARE AND WRITE and ORWRITE form,
 * followed by the one range check. The transfer length is also read on its own, without
 * building a request, when the fabric asks how much Data-Out a command carries.
 *
 * @param lba     first logical block
 * @param blocks  number of blocks (READ(6)/WRITE(6): 0 already means 256)
 * @param dpo     disable page out (accepted, no cache to steer)
 * @param fua     force unit access
 * @param flags   byte 1 of the CDB, for command-specific bits (BYTCHK, UNMAP, NDOB, IMMED)
 * @param lengthOffset CDB byte of the transfer length field, for field pointers
 */
record BlockRequest(long lba, long blocks, boolean dpo, boolean fua, int flags, int lengthOffset) {

    static BlockRequest decode(byte[] cdb) {
        int op = cdb[0] & 0xff;
        int flags = cdb[1] & 0xff;
        int lengthOffset = lengthOffset(op);
        long blocks = transferBlocks(cdb, lengthOffset);
        return switch (op) {
            // 6-byte: 21-bit LBA, no flags (SBC-3 §5.8, §5.32)
            case 0x08, 0x0a -> new BlockRequest(Fields.u24(cdb, 1) & 0x1fffff, blocks, false, false, 0, lengthOffset);
            // WRITE SAME has no FUA/DPO: bit 3 is UNMAP
            case 0x41 -> new BlockRequest(Fields.u32(cdb, 2), blocks, false, false, flags, lengthOffset);
            case 0x93 -> new BlockRequest(Fields.u64(cdb, 2), blocks, false, false, flags, lengthOffset);
            default -> new BlockRequest(lengthOffset == 6 || lengthOffset == 7 ? Fields.u32(cdb, 2) : Fields.u64(cdb, 2),
                    blocks, (flags & 0x10) != 0, (flags & 0x08) != 0, flags, lengthOffset);
        };
    }

    /** Bytes named by the CDB's transfer length field; no allocation (called per command on the event loop). */
    static long transferBytes(byte[] cdb) {
        return transferBlocks(cdb, lengthOffset(cdb[0] & 0xff)) << BLOCK_SHIFT;
    }

    /** Where each block command keeps its transfer length: 6-byte at 4, 10-byte at 7, 12-byte at 6, 16-byte at 10. */
    private static int lengthOffset(int op) {
        return switch (op) {
            case 0x08, 0x0a -> 4;
            case 0x28, 0x2a, 0x2e, 0x2f, 0x34, 0x35, 0x41 -> 7;
            case 0xa8, 0xaa, 0xae, 0xaf -> 6;
            case 0x88, 0x8a, 0x8b, 0x8e, 0x8f, 0x90, 0x91, 0x93 -> 10;
            case 0x89 -> 13;   // COMPARE AND WRITE: NUMBER OF LOGICAL BLOCKS, one byte
            default -> throw new IllegalArgumentException("not a block command: " + op);
        };
    }

    private static long transferBlocks(byte[] cdb, int lengthOffset) {
        return switch (lengthOffset) {
            case 4 -> {
                int n = Fields.u8(cdb, 4);
                yield n == 0 ? 256 : n;   // READ(6)/WRITE(6): 0 means 256 blocks
            }
            case 7 -> Fields.u16(cdb, 7);
            case 13 -> Fields.u8(cdb, 13);
            default -> Fields.u32(cdb, lengthOffset);
        };
    }

    /**
     * SBC-3 §4.5: a range that starts past the last LBA, or runs past it, is LOGICAL BLOCK ADDRESS
     * OUT OF RANGE. A zero-length request at the capacity itself is also out of range. Unsigned
     * arithmetic: LBAs above 2^63 are huge, not negative.
     */
    void checkRange(long capacityBlocks) {
        if (Long.compareUnsigned(lba, capacityBlocks) >= 0 || Long.compareUnsigned(blocks, capacityBlocks - lba) > 0) {
            throw ScsiFailure.of(SenseReason.LBA_OUT_OF_RANGE);
        }
    }

    long offsetBytes() { return lba << BLOCK_SHIFT; }

    long lengthBytes() { return blocks << BLOCK_SHIFT; }
}
