package io.depot.iscsi.scsi;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Every command a Depot logical unit supports, with its CDB usage data and handler, in opcode
 * order (the order REPORT SUPPORTED OPERATION CODES lists them). One table per target, since
 * EXTENDED COPY exists only when copy offload is wired.
 */
final class CommandTable {
    private final List<CommandSpec> all;
    /** Per opcode: the single spec, or null; and for service-action opcodes, specs by action. */
    private final CommandSpec[] plain = new CommandSpec[256];
    private final CommandSpec[][] byAction = new CommandSpec[256][];
    /** Per opcode: its Data-Out rule, or null (service actions of one opcode share it: the length field does not move). */
    private final CommandSpec.DataOutLength[] dataOut = new CommandSpec.DataOutLength[256];

    CommandTable(boolean copyOffload) {
        List<CommandSpec> l = new ArrayList<>();
        // SPC-4 primary commands
        l.add(CommandSpec.of("TEST UNIT READY", "00 00 00 00 00 00", PrimaryCommands::testUnitReady));
        l.add(CommandSpec.of("REQUEST SENSE", "03 01 00 00 ff 00", PrimaryCommands::requestSense));
        l.add(CommandSpec.of("READ(6)", "08 1f ff ff ff 00", BlockCommands::read));
        l.add(CommandSpec.writing("WRITE(6)", "0a 1f ff ff ff 00", BlockCommands::write).carrying(BlockRequest::transferBytes));
        l.add(CommandSpec.of("INQUIRY", "12 01 ff ff ff 00", InquiryCommand::inquiry));
        l.add(CommandSpec.of("MODE SELECT(6)", "15 11 00 00 ff 00", ModeCommands::modeSelect).carrying(ModeCommands::parameterListLength));
        l.add(CommandSpec.of("RESERVE(6)", "16 00 00 00 00 00", (lu, c) -> lu.reservations().reserve(c)));
        l.add(CommandSpec.of("RELEASE(6)", "17 00 00 00 00 00", (lu, c) -> lu.reservations().release(c)));
        l.add(CommandSpec.of("MODE SENSE(6)", "1a 08 ff ff ff 00", ModeCommands::modeSense));
        l.add(CommandSpec.of("START STOP UNIT", "1b 01 00 0f f7 00", PrimaryCommands::startStopUnit));
        l.add(CommandSpec.of("PREVENT ALLOW MEDIUM REMOVAL", "1e 00 00 00 03 00", PrimaryCommands::preventAllow));
        l.add(CommandSpec.of("READ CAPACITY(10)", "25 00 ff ff ff ff 00 00 01 00", BlockCommands::readCapacity10));
        l.add(CommandSpec.of("READ(10)", "28 1a ff ff ff ff 3f ff ff 00", BlockCommands::read));
        l.add(CommandSpec.writing("WRITE(10)", "2a 1a ff ff ff ff 3f ff ff 00", BlockCommands::write).carrying(BlockRequest::transferBytes));
        l.add(CommandSpec.writing("WRITE AND VERIFY(10)", "2e 12 ff ff ff ff 3f ff ff 00", BlockCommands::write)
                .carrying(BlockRequest::transferBytes));
        l.add(CommandSpec.of("VERIFY(10)", "2f 16 ff ff ff ff 3f ff ff 00", BlockCommands::verify).carrying(BlockCommands::verifyDataOut));
        l.add(CommandSpec.of("READ DEFECT DATA(10)", "37 00 1f 00 00 00 00 ff ff 00", BlockCommands::readDefectData));
        l.add(CommandSpec.of("PRE-FETCH(10)", "34 02 ff ff ff ff 3f ff ff 00", BlockCommands::prefetch));
        l.add(CommandSpec.of("SYNCHRONIZE CACHE(10)", "35 02 ff ff ff ff 3f ff ff 00", BlockCommands::synchronizeCache));
        l.add(CommandSpec.writing("WRITE SAME(10)", "41 08 ff ff ff ff 3f ff ff 00", BlockCommands::writeSame)
                .carrying(BlockCommands::writeSameDataOut));
        l.add(CommandSpec.writing("UNMAP", "42 00 00 00 00 00 3f ff ff 00", BlockCommands::unmap).carrying(BlockCommands::unmapListLength));
        l.add(CommandSpec.of("MODE SELECT(10)", "55 11 00 00 00 00 00 ff ff 00", ModeCommands::modeSelect)
                .carrying(ModeCommands::parameterListLength));
        l.add(CommandSpec.of("RESERVE(10)", "56 00 00 00 00 00 00 00 00 00", (lu, c) -> lu.reservations().reserve(c)));
        l.add(CommandSpec.of("RELEASE(10)", "57 00 00 00 00 00 00 00 00 00", (lu, c) -> lu.reservations().release(c)));
        l.add(CommandSpec.of("MODE SENSE(10)", "5a 18 ff ff 00 00 00 ff ff 00", ModeCommands::modeSense));
        // PERSISTENT RESERVE IN: READ KEYS, READ RESERVATION, REPORT CAPABILITIES, READ FULL STATUS
        for (int sa = 0; sa <= 3; sa++) {
            l.add(CommandSpec.withAction("PERSISTENT RESERVE IN", sa, String.format("5e %02x 00 00 00 00 00 ff ff 00", sa),
                    false, (lu, c) -> lu.reservations().persistentReserveIn(c)));
        }
        // PERSISTENT RESERVE OUT: REGISTER … REGISTER AND MOVE
        for (int sa = 0; sa <= 7; sa++) {
            l.add(CommandSpec.withAction("PERSISTENT RESERVE OUT", sa, String.format("5f %02x ff 00 00 ff ff ff ff 00", sa),
                    false, (lu, c) -> lu.reservations().persistentReserveOut(c)).carrying(cdb -> Fields.u32(cdb, 5)));  // PARAMETER LIST LENGTH
        }
        if (copyOffload) {
            l.add(CommandSpec.withAction("EXTENDED COPY(LID1)", 0x00, "83 00 00 00 00 00 00 00 00 00 ff ff ff ff 00 00",
                    true, (lu, c) -> lu.copyOffload().extendedCopy(c)).carrying(cdb -> Fields.u32(cdb, 10)));  // PARAMETER LIST LENGTH
            for (int sa : new int[] {0x00, 0x03}) {  // COPY STATUS, OPERATING PARAMETERS
                l.add(CommandSpec.withAction("RECEIVE COPY RESULTS", sa,
                        String.format("84 %02x ff 00 00 00 00 00 00 00 ff ff ff ff 00 00", sa),
                        false, (lu, c) -> lu.copyOffload().receiveCopyResults(c)));
            }
        }
        l.add(CommandSpec.of("READ(16)", "88 1a ff ff ff ff ff ff ff ff ff ff ff ff 3f 00", BlockCommands::read));
        l.add(CommandSpec.writing("COMPARE AND WRITE", "89 18 ff ff ff ff ff ff ff ff 00 00 00 ff 3f 00", BlockCommands::compareAndWrite)
                .carrying(BlockCommands::compareAndWriteDataOut));
        l.add(CommandSpec.writing("WRITE(16)", "8a 1a ff ff ff ff ff ff ff ff ff ff ff ff 3f 00", BlockCommands::write)
                .carrying(BlockRequest::transferBytes));
        l.add(CommandSpec.writing("ORWRITE(16)", "8b 18 ff ff ff ff ff ff ff ff ff ff ff ff 3f 00", BlockCommands::orWrite)
                .carrying(BlockRequest::transferBytes));
        l.add(CommandSpec.writing("WRITE AND VERIFY(16)", "8e 12 ff ff ff ff ff ff ff ff ff ff ff ff 3f 00", BlockCommands::write)
                .carrying(BlockRequest::transferBytes));
        l.add(CommandSpec.of("VERIFY(16)", "8f 16 ff ff ff ff ff ff ff ff ff ff ff ff 3f 00", BlockCommands::verify)
                .carrying(BlockCommands::verifyDataOut));
        l.add(CommandSpec.of("PRE-FETCH(16)", "90 02 ff ff ff ff ff ff ff ff ff ff ff ff 3f 00", BlockCommands::prefetch));
        l.add(CommandSpec.of("SYNCHRONIZE CACHE(16)", "91 02 ff ff ff ff ff ff ff ff ff ff ff ff 3f 00", BlockCommands::synchronizeCache));
        l.add(CommandSpec.writing("WRITE SAME(16)", "93 09 ff ff ff ff ff ff ff ff ff ff ff ff 3f 00", BlockCommands::writeSame)
                .carrying(BlockCommands::writeSameDataOut));
        l.add(CommandSpec.withAction("READ CAPACITY(16)", 0x10, "9e 10 ff ff ff ff ff ff ff ff ff ff ff ff 01 00",
                false, BlockCommands::readCapacity16));
        l.add(CommandSpec.withAction("GET LBA STATUS", 0x12, "9e 12 ff ff ff ff ff ff ff ff ff ff ff ff 00 00",
                false, BlockCommands::getLbaStatus));
        l.add(CommandSpec.of("REPORT LUNS", "a0 00 ff 00 00 00 ff ff ff ff 00 00", PrimaryCommands::reportLuns));
        l.add(CommandSpec.withAction("REPORT TARGET PORT GROUPS", 0x0a, "a3 ea 00 00 00 00 ff ff ff ff 00 00",
                false, PrimaryCommands::reportTargetPortGroups));
        l.add(CommandSpec.withAction("REPORT SUPPORTED OPERATION CODES", 0x0c, "a3 0c 87 ff ff ff ff ff ff ff 00 00",
                false, SupportedOpcodes::report));
        l.add(CommandSpec.withAction("REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS", 0x0d, "a3 0d 80 00 00 00 ff ff ff ff 00 00",
                false, PrimaryCommands::reportTaskManagementFunctions));
        l.add(CommandSpec.of("READ(12)", "a8 1a ff ff ff ff ff ff ff ff 3f 00", BlockCommands::read));
        l.add(CommandSpec.writing("WRITE(12)", "aa 1a ff ff ff ff ff ff ff ff 3f 00", BlockCommands::write).carrying(BlockRequest::transferBytes));
        l.add(CommandSpec.writing("WRITE AND VERIFY(12)", "ae 12 ff ff ff ff ff ff ff ff 3f 00", BlockCommands::write)
                .carrying(BlockRequest::transferBytes));
        l.add(CommandSpec.of("VERIFY(12)", "af 16 ff ff ff ff ff ff ff ff 3f 00", BlockCommands::verify).carrying(BlockCommands::verifyDataOut));
        l.add(CommandSpec.of("READ DEFECT DATA(12)", "b7 1f ff ff ff ff ff ff ff ff 00 00", BlockCommands::readDefectData));

        for (CommandSpec s : l) {
            if (s.hasServiceAction()) {
                if (byAction[s.opcode()] == null) {
                    byAction[s.opcode()] = new CommandSpec[32];
                }
                byAction[s.opcode()][s.serviceAction()] = s;
            } else {
                plain[s.opcode()] = s;
            }
            if (s.dataOut() != null) {
                dataOut[s.opcode()] = s.dataOut();
            }
        }
        this.all = Collections.unmodifiableList(l);
    }

    /** Every supported command, in opcode and service action order. */
    List<CommandSpec> all() { return all; }

    /** True if the opcode has service actions (REPORT SUPPORTED OPERATION CODES: SERVACTV). */
    boolean hasServiceActions(int opcode) { return byAction[opcode & 0xff] != null; }

    boolean supportsOpcode(int opcode) {
        return plain[opcode & 0xff] != null || byAction[opcode & 0xff] != null;
    }

    /** The spec for an opcode and service action, or null if that pair is not supported. */
    CommandSpec find(int opcode, int serviceAction) {
        CommandSpec[] actions = byAction[opcode & 0xff];
        if (actions != null) {
            return serviceAction >= 0 && serviceAction < 32 ? actions[serviceAction] : null;
        }
        return plain[opcode & 0xff];
    }

    /** See {@link CommandLayer#dataOutLength}. */
    long dataOutLength(byte[] cdb) {
        CommandSpec.DataOutLength rule = dataOut[cdb[0] & 0xff];
        return rule == null ? CommandLayer.NO_DATA_OUT_DEFINED : rule.bytes(cdb);
    }

    /**
     * The spec for a CDB. An unknown opcode is INVALID COMMAND OPERATION CODE; a known opcode with
     * an unknown service action is INVALID FIELD IN CDB at the service action (SPC-4 §4.5.2.4.2).
     */
    CommandSpec lookup(byte[] cdb) {
        int op = cdb[0] & 0xff;
        CommandSpec[] actions = byAction[op];
        if (actions != null) {
            CommandSpec s = actions[cdb[1] & 0x1f];
            if (s == null) {
                throw ScsiFailure.invalidCdb(1, 4);
            }
            return s;
        }
        CommandSpec s = plain[op];
        if (s == null) {
            throw ScsiFailure.of(SenseReason.INVALID_OPCODE);
        }
        return s;
    }
}
