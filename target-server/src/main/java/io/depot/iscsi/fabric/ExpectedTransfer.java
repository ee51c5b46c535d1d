package io.depot.iscsi.fabric;

/**
 * How many data-out bytes a CDB asks the initiator for, so the fabric can solicit exactly that
 * and report residuals (RFC 7143 §11.4.5) without knowing SCSI semantics beyond lengths.
 */
final class ExpectedTransfer {
    static final int BLOCK = 512;

    private ExpectedTransfer() {}

    /** Bytes of data-out the command carries per its CDB, or -1 when this opcode is not known here. */
    static int dataOutBytes(byte[] cdb) {
        int op = cdb[0] & 0xff;
        long bytes = switch (op) {
            case 0x0a -> blocks(((cdb[4] & 0xff) == 0) ? 256 : cdb[4] & 0xff);           // WRITE(6)
            case 0x2a, 0x2e -> blocks(u16(cdb, 7));                                           // WRITE(10), WRITE AND VERIFY(10)
            case 0xaa, 0xae -> blocks(u32(cdb, 6));                                           // WRITE(12), WRITE AND VERIFY(12)
            case 0x8a, 0x8e, 0x8b -> blocks(u32(cdb, 10));                                    // WRITE(16), WRITE AND VERIFY(16), ORWRITE(16)
            case 0x2f -> (cdb[1] & 0x06) == 0 ? 0 : blocks(u16(cdb, 7));                      // VERIFY(10)
            case 0xaf -> (cdb[1] & 0x06) == 0 ? 0 : blocks(u32(cdb, 6));                      // VERIFY(12)
            case 0x8f -> (cdb[1] & 0x06) == 0 ? 0 : blocks(u32(cdb, 10));                     // VERIFY(16)
            case 0x89 -> 2L * blocks(cdb[13] & 0xff);                                         // COMPARE AND WRITE
            case 0x41, 0x93 -> (cdb[1] & 0x01) != 0 ? 0 : BLOCK;                              // WRITE SAME(10/16), NDOB
            case 0x42 -> u16(cdb, 7);                                                         // UNMAP
            case 0x15 -> cdb[4] & 0xff;                                                       // MODE SELECT(6)
            case 0x55 -> u16(cdb, 7);                                                         // MODE SELECT(10)
            case 0x5f -> u32(cdb, 5);                                                         // PERSISTENT RESERVE OUT
            case 0x83 -> u32(cdb, 10);                                                        // EXTENDED COPY
            default -> -1;
        };
        return bytes < 0 || bytes > Integer.MAX_VALUE ? (bytes < 0 ? -1 : Integer.MAX_VALUE) : (int) bytes;
    }

    private static long blocks(long n) { return n * BLOCK; }

    private static int u16(byte[] b, int i) { return ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff); }

    private static long u32(byte[] b, int i) {
        return ((long) (b[i] & 0xff) << 24) | ((b[i + 1] & 0xff) << 16) | ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
    }
}
