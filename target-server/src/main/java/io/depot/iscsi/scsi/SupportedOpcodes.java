package io.depot.iscsi.scsi;

import java.io.ByteArrayOutputStream;

/** REPORT SUPPORTED OPERATION CODES (SPC-4 §6.35), answered from the {@link CommandTable}. */
final class SupportedOpcodes {
    private SupportedOpcodes() {}

    /** Recommended command timeout in seconds (RCTD): a queued flush behind a busy disk, with margin. */
    private static final int RECOMMENDED_TIMEOUT_SECONDS = 30;

    static ScsiResult report(LogicalUnit lu, ScsiCommand command) {
        byte[] cdb = command.cdb();
        boolean rctd = (cdb[2] & 0x80) != 0;
        int options = cdb[2] & 0x07;
        int opcode = cdb[3] & 0xff;
        int serviceAction = Fields.u16(cdb, 4);
        long allocation = Fields.u32(cdb, 6);
        CommandTable table = lu.target().commands();
        byte[] data = switch (options) {
            case 0 -> all(table, rctd);
            case 1 -> {
                // the opcode alone: refused for opcodes that have service actions
                if (table.hasServiceActions(opcode)) {
                    throw ScsiFailure.invalidCdb(3, -1);
                }
                yield one(table.find(opcode, -1), rctd);
            }
            case 2 -> {
                // opcode and service action: refused for opcodes without service actions
                if (table.supportsOpcode(opcode) && !table.hasServiceActions(opcode)) {
                    throw ScsiFailure.invalidCdb(3, -1);
                }
                yield one(table.find(opcode, serviceAction), rctd);
            }
            case 3 -> one(table.find(opcode, table.hasServiceActions(opcode) ? serviceAction : -1), rctd);
            default -> throw ScsiFailure.invalidCdb(2, 2);
        };
        return DataIn.good(command, data, allocation);
    }

    private static byte[] all(CommandTable table, boolean rctd) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        out.writeBytes(new byte[4]);
        for (CommandSpec s : table.all()) {
            byte[] d = new byte[8];
            d[0] = (byte) s.opcode();
            Fields.put16(d, 2, Math.max(s.serviceAction(), 0));
            d[5] = (byte) ((rctd ? 0x02 : 0) | (s.hasServiceAction() ? 0x01 : 0));   // CTDP, SERVACTV
            Fields.put16(d, 6, s.cdbLength());
            out.writeBytes(d);
            if (rctd) {
                out.writeBytes(timeouts());
            }
        }
        byte[] data = out.toByteArray();
        Fields.put32(data, 0, data.length - 4);
        return data;
    }

    /** The one-command format: SUPPORT 011b with usage data, or 001b (not supported) with none. */
    private static byte[] one(CommandSpec s, boolean rctd) {
        if (s == null) {
            byte[] d = new byte[4];
            d[1] = 0x01;
            return d;
        }
        byte[] usage = s.usage();
        byte[] d = new byte[4 + usage.length + (rctd ? 12 : 0)];
        d[1] = (byte) ((rctd ? 0x80 : 0) | 0x03);
        Fields.put16(d, 2, usage.length);
        System.arraycopy(usage, 0, d, 4, usage.length);
        if (rctd) {
            System.arraycopy(timeouts(), 0, d, 4 + usage.length, 12);
        }
        return d;
    }

    /** Command timeouts descriptor (SPC-4 §6.35.4). */
    private static byte[] timeouts() {
        byte[] t = new byte[12];
        Fields.put16(t, 0, 0x0a);
        Fields.put32(t, 8, RECOMMENDED_TIMEOUT_SECONDS);
        return t;
    }
}
