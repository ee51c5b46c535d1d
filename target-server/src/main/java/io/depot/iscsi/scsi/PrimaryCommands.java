package io.depot.iscsi.scsi;

/** The small SPC-4 commands and the SBC-3 device controls that touch no data. */
final class PrimaryCommands {
    private PrimaryCommands() {}

    static ScsiResult testUnitReady(LogicalUnit lu, ScsiCommand command) {
        return ScsiResult.OK;
    }

    /**
     * REQUEST SENSE (SPC-4 §6.29): the oldest pending unit attention, which it consumes, or NO SENSE.
     * Only fixed format: DESC=1 is refused as the standard allows.
     */
    static ScsiResult requestSense(LogicalUnit lu, ScsiCommand command) {
        byte[] cdb = command.cdb();
        if ((cdb[1] & 0x01) != 0) {
            throw ScsiFailure.invalidCdb(1, 0);
        }
        int allocation = Fields.u8(cdb, 4);
        SenseReason ua = allocation == 0 ? null : lu.unitAttentions().take(command.nexus());
        byte[] sense = new byte[Sense.FIXED_LENGTH];
        if (ua != null) {
            sense = Sense.fixed(ua);
        } else {
            sense[0] = 0x70;
            sense[7] = (byte) (Sense.FIXED_LENGTH - 8);
        }
        return DataIn.good(command, sense, allocation);
    }

    static ScsiResult reportLuns(LogicalUnit lu, ScsiCommand command) {
        return lu.target().reportLuns(command);
    }

    /**
     * START STOP UNIT (SBC-3 §5.25): the medium is always spinning, so start, stop and power
     * conditions succeed without effect; LOEJ on a non-removable medium is refused.
     */
    static ScsiResult startStopUnit(LogicalUnit lu, ScsiCommand command) {
        if ((command.cdb()[4] & 0x02) != 0) {
            throw ScsiFailure.invalidCdb(4, 1);
        }
        return ScsiResult.OK;
    }

    /** PREVENT ALLOW MEDIUM REMOVAL (SBC-3 §5.11): nothing to lock on a non-removable medium. */
    static ScsiResult preventAllow(LogicalUnit lu, ScsiCommand command) {
        if ((command.cdb()[4] & 0x03) > 1) {
            throw ScsiFailure.invalidCdb(4, 1);
        }
        return ScsiResult.OK;
    }

    /**
     * REPORT TARGET PORT GROUPS (SPC-4 §6.36): one group, active/optimized, holding the port the
     * command came through. Implicit ALUA only: there is nothing to transition.
     */
    static ScsiResult reportTargetPortGroups(LogicalUnit lu, ScsiCommand command) {
        byte[] cdb = command.cdb();
        int format = (cdb[1] & 0xe0) >>> 5;
        if (format > 1) {
            throw ScsiFailure.invalidCdb(1, 7);
        }
        boolean extended = format == 1;
        int header = extended ? 8 : 4;
        byte[] data = new byte[header + 8 + 4];
        Fields.put32(data, 0, data.length - 4);
        if (extended) {
            data[4] = 0x10;   // FORMAT TYPE 001b
            data[5] = 0;      // IMPLICIT TRANSITION TIME
        }
        int d = header;
        data[d] = (byte) 0x80;                // PREF 1, ASYMMETRIC ACCESS STATE 0h: active/optimized
        data[d + 1] = 0x01;                   // AO_SUP: the only state we ever report
        Fields.put16(data, d + 2, command.nexus().portalGroupTag());
        data[d + 5] = 0x00;                   // STATUS CODE: no transition
        data[d + 7] = 1;                      // TARGET PORT COUNT
        Fields.put16(data, d + 10, command.nexus().relativePortId());
        return DataIn.good(command, data, Fields.u32(cdb, 6));
    }

    /**
     * REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS (SPC-4 §6.40): ABORT TASK, ABORT TASK SET, CLEAR
     * TASK SET, LOGICAL UNIT RESET, TARGET RESET; no ACA, no QUERY functions.
     */
    static ScsiResult reportTaskManagementFunctions(LogicalUnit lu, ScsiCommand command) {
        byte[] cdb = command.cdb();
        boolean extended = (cdb[2] & 0x80) != 0;   // REPD
        byte[] data = new byte[extended ? 16 : 4];
        data[0] = (byte) (0x80 | 0x40 | 0x10 | 0x08 | 0x02);   // ATS ATSS CTSS LURS TRS
        if (extended) {
            data[3] = 0x0c;   // ADDITIONAL DATA LENGTH
        }
        return DataIn.good(command, data, Fields.u32(cdb, 6));
    }
}
