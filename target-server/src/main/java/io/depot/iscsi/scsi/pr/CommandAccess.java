package io.depot.iscsi.scsi.pr;

/**
 * How a command meets a reservation held by someone else (SPC-4 §5.9.1 Table 66 and SBC-3
 * §4.17 Table 13): ALLOWED always runs; READ conflicts only with exclusive-access types; WRITE
 * conflicts with every type. Opcodes we do not know are classed WRITE, so that a handler added
 * later without a row here is fenced rather than let through.
 */
enum CommandAccess {
    ALLOWED, READ, WRITE;

    static CommandAccess of(byte[] cdb) {
        int op = cdb[0] & 0xff;
        return switch (op) {
            case 0x00, // TEST UNIT READY
                 0x03, // REQUEST SENSE
                 0x12, // INQUIRY
                 0x25, // READ CAPACITY(10)
                 0x4d, // LOG SENSE
                 0x5e, // PERSISTENT RESERVE IN
                 0x5f, // PERSISTENT RESERVE OUT: the service action decides (§5.9.7..)
                 0xa0  // REPORT LUNS
                -> ALLOWED;
            case 0x08, 0x28, 0xa8, 0x88, // READ 6/10/12/16
                 0x2f, 0xaf, 0x8f,       // VERIFY 10/12/16
                 0x34, 0x90,             // PRE-FETCH 10/16
                 0x3c,                   // READ BUFFER
                 0x37, 0xb7,             // READ DEFECT DATA 10/12 (SBC-3 Table 13)
                 0x84                    // RECEIVE COPY RESULTS: reads nothing, but reveals nothing to a fenced reader either
                -> READ;
            case 0x9e -> switch (cdb[1] & 0x1f) { // SERVICE ACTION IN(16)
                case 0x10 -> ALLOWED;             // READ CAPACITY(16)
                default -> READ;                  // GET LBA STATUS (12h) and the rest
            };
            case 0xa3 -> switch (cdb[1] & 0x1f) { // MAINTENANCE IN
                case 0x0a, 0x0c, 0x0d, 0x0f -> ALLOWED; // REPORT TARGET PORT GROUPS / SUPPORTED OPCODES / TMFs / TIMESTAMP
                default -> WRITE;
            };
            case 0x1b -> {
                // START STOP UNIT: only START=1 with POWER CONDITION=0 and LOEJ=0 is allowed (SBC-3 Table 13).
                int b4 = cdb[4] & 0xff;
                yield (b4 & 0xf0) == 0 && (b4 & 0x03) == 0x01 ? ALLOWED : WRITE;
            }
            // PREVENT ALLOW MEDIUM REMOVAL: PREVENT=0 is allowed, anything else conflicts (SPC-4 Table 66).
            case 0x1e -> (cdb[4] & 0x03) == 0 ? ALLOWED : WRITE;
            // WRITE 6/10/12/16, WRITE AND VERIFY, WRITE SAME, UNMAP, COMPARE AND WRITE, SYNCHRONIZE CACHE,
            // MODE SELECT and MODE SENSE (both conflict, SPC-4 Table 66), EXTENDED COPY, LOG SELECT, ...
            default -> WRITE;
        };
    }
}
