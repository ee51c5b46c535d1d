package io.depot.iscsi.scsi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * How much Data-Out the command layer says a CDB carries: per opcode as the fabric's own decoder
 * (ExpectedTransfer, removed when the command layer took CDB decoding over) answered, on
 * random CDBs of every opcode.
 */
class DataOutLengthTest {
    private final CommandTable table = new CommandTable(true);

    private long dataOut(String hex) {
        byte[] cdb = new byte[16];
        byte[] given = java.util.HexFormat.of().parseHex(hex.replace(" ", ""));
        System.arraycopy(given, 0, cdb, 0, given.length);
        return table.dataOutLength(cdb);
    }

    @Test
    void knownCommands() {
        assertEquals(256 * 512, dataOut("0a 00 00 00 00 00"), "WRITE(6): 0 blocks means 256");
        assertEquals(8 * 512, dataOut("2a 00 00 00 00 10 00 00 08 00"), "WRITE(10)");
        assertEquals(0xffffffffL * 512, dataOut("8a 00 0000000000000000 ffffffff 00 00"), "WRITE(16), past 32 bits");
        assertEquals(0, dataOut("2f 00 00 00 00 00 00 00 08 00"), "VERIFY(10) BYTCHK=00b checks the range only");
        assertEquals(8 * 512, dataOut("2f 02 00 00 00 00 00 00 08 00"), "VERIFY(10) BYTCHK=01b");
        assertEquals(2 * 3 * 512, dataOut("89 00 0000000000000000 000000 03 00 00"), "COMPARE AND WRITE: verify and write blocks");
        assertEquals(512, dataOut("93 00 0000000000000000 00000010 00 00"), "WRITE SAME(16): one block");
        assertEquals(0, dataOut("93 01 0000000000000000 00000010 00 00"), "WRITE SAME(16) NDOB");
        assertEquals(24, dataOut("42 00 00 00 00 00 00 00 18 00"), "UNMAP parameter list");
        assertEquals(12, dataOut("15 10 00 00 0c 00"), "MODE SELECT(6)");
        assertEquals(24, dataOut("5f 00 00 00 00 00 00 00 18 00"), "PERSISTENT RESERVE OUT");
        assertEquals(0x40, dataOut("83 00 00 00 00 00 00 00 00 00 00 00 00 40 00 00"), "EXTENDED COPY");
        assertEquals(CommandLayer.NO_DATA_OUT_DEFINED, dataOut("28 00 00 00 00 00 00 00 08 00"), "READ(10) carries none");
        assertEquals(CommandLayer.NO_DATA_OUT_DEFINED, dataOut("c0"), "unknown opcode");
    }

    @Test
    void withoutCopyOffloadExtendedCopyIsUnknown() {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) 0x83;
        cdb[13] = 0x40;
        assertEquals(CommandLayer.NO_DATA_OUT_DEFINED, new CommandTable(false).dataOutLength(cdb));
    }

    @Test
    void everyOpcodeAnswersAsTheFabricDecoderDid() {
        Random random = new Random(12);
        byte[] cdb = new byte[16];
        for (int op = 0; op < 256; op++) {
            for (int i = 0; i < 200; i++) {
                random.nextBytes(cdb);
                cdb[0] = (byte) op;
                long now = table.dataOutLength(cdb);
                // the fabric keeps a 32-bit count, as the old decoder returned
                int asFabric = now < 0 ? -1 : (int) Math.min(now, Integer.MAX_VALUE);
                assertEquals(OldExpectedTransfer.dataOutBytes(cdb), asFabric, String.format("opcode %02x, CDB %s", op,
                        java.util.HexFormat.of().formatHex(cdb)));
            }
        }
    }

    /** The fabric's decoder as it was (iscsi/ExpectedTransfer.java before the command layer owned CDB decoding). */
    private static final class OldExpectedTransfer {
        static final int BLOCK = 512;

        static int dataOutBytes(byte[] cdb) {
            int op = cdb[0] & 0xff;
            long bytes = switch (op) {
                case 0x0a -> blocks(((cdb[4] & 0xff) == 0) ? 256 : cdb[4] & 0xff);
                case 0x2a, 0x2e -> blocks(u16(cdb, 7));
                case 0xaa, 0xae -> blocks(u32(cdb, 6));
                case 0x8a, 0x8e, 0x8b -> blocks(u32(cdb, 10));
                case 0x2f -> (cdb[1] & 0x06) == 0 ? 0 : blocks(u16(cdb, 7));
                case 0xaf -> (cdb[1] & 0x06) == 0 ? 0 : blocks(u32(cdb, 6));
                case 0x8f -> (cdb[1] & 0x06) == 0 ? 0 : blocks(u32(cdb, 10));
                case 0x89 -> 2L * blocks(cdb[13] & 0xff);
                case 0x41, 0x93 -> (cdb[1] & 0x01) != 0 ? 0 : BLOCK;
                case 0x42 -> u16(cdb, 7);
                case 0x15 -> cdb[4] & 0xff;
                case 0x55 -> u16(cdb, 7);
                case 0x5f -> u32(cdb, 5);
                case 0x83 -> u32(cdb, 10);
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
}
