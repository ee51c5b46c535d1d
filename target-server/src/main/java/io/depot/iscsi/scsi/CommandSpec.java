package io.depot.iscsi.scsi;

import java.util.HexFormat;

/**
 * One supported command: what REPORT SUPPORTED OPERATION CODES says about it and who runs it.
 * The CDB usage data (SPC-4 §6.35.3) is both reported and enforced: a CDB bit outside it is
 * INVALID FIELD IN CDB, which is how reserved and unsupported fields (RDPROTECT, ANCHOR, …) are
 * rejected without a check in every handler.
 *
 * @param opcode        operation code
 * @param serviceAction service action in byte 1 bits 4-0, or -1 for commands without one
 * @param name          for logs
 * @param usage         CDB usage data as reported: byte 0 the opcode, the service action field holding the service action
 * @param writes        true when the command changes the medium (read-only LUNs refuse it)
 * @param handler       runs it
 * @param dataOut       how many bytes of Data-Out a CDB of this command carries, or null when the
 *                      command carries none its CDB defines (see {@link CommandLayer#dataOutLength})
 */
record CommandSpec(int opcode, int serviceAction, String name, byte[] usage, boolean writes, Handler handler,
                   DataOutLength dataOut) {

    /** Runs one command on one logical unit; throws {@link ScsiFailure} (or the backend a BackstoreFailure) to fail. */
    @FunctionalInterface
    interface Handler {
        ScsiResult run(LogicalUnit lu, ScsiCommand command);
    }

    /**
     * The Data-Out length a CDB announces, read from the same fields the command's handler reads.
     * Runs on a network event loop for every command: no allocation, no blocking.
     */
    @FunctionalInterface
    interface DataOutLength {
        long bytes(byte[] cdb);
    }

    static CommandSpec of(String name, String usageHex, Handler handler) {
        return make(name, -1, usageHex, false, handler);
    }

    static CommandSpec writing(String name, String usageHex, Handler handler) {
        return make(name, -1, usageHex, true, handler);
    }

    static CommandSpec withAction(String name, int serviceAction, String usageHex, boolean writes, Handler handler) {
        return make(name, serviceAction, usageHex, writes, handler);
    }

    private static CommandSpec make(String name, int sa, String usageHex, boolean writes, Handler handler) {
        byte[] usage = HexFormat.of().parseHex(usageHex.replace(" ", ""));
        return new CommandSpec(usage[0] & 0xff, sa, name, usage, writes, handler, null);
    }

    /** This command, carrying the Data-Out {@code rule} tells. */
    CommandSpec carrying(DataOutLength rule) {
        return new CommandSpec(opcode, serviceAction, name, usage, writes, handler, rule);
    }

    int cdbLength() { return usage.length; }

    boolean hasServiceAction() { return serviceAction >= 0; }

    /**
     * Rejects bits the command does not use (SPC-4 §4.5.2.4.2 field pointer to the first one). The
     * service action bits are matched by lookup, and the control byte is checked on its own: its
     * vendor-specific bits are tolerated, NACA and LINK are not (we support neither; SAM-5 §5.3).
     */
    void validate(byte[] cdb) {
        int last = usage.length - 1;
        for (int i = 1; i < last; i++) {
            int allowed = usage[i] & 0xff;
            if (i == 1 && hasServiceAction()) {
                allowed |= 0x1f;
            }
            int extra = cdb[i] & 0xff & ~allowed;
            if (extra != 0) {
                throw ScsiFailure.invalidCdb(i, 31 - Integer.numberOfLeadingZeros(extra));
            }
        }
        int control = cdb[last] & 0xff;
        if ((control & 0x05) != 0) {
            throw ScsiFailure.invalidCdb(last, (control & 0x04) != 0 ? 2 : 0);
        }
    }
}
