package io.depot.iscsi.scsi;

import static io.depot.iscsi.scsi.BlockLimits.*;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** INQUIRY: standard data (SPC-4 §6.6.2) and the vital product data pages (SPC-4 §7.8, SBC-3 §6.5). */
final class InquiryCommand {
    private InquiryCommand() {}

    static final int VPD_SUPPORTED_PAGES = 0x00;
    static final int VPD_UNIT_SERIAL = 0x80;
    static final int VPD_DEVICE_IDENTIFICATION = 0x83;
    static final int VPD_BLOCK_LIMITS = 0xb0;
    static final int VPD_BLOCK_DEVICE_CHARACTERISTICS = 0xb1;
    static final int VPD_LOGICAL_BLOCK_PROVISIONING = 0xb2;
    private static final int[] VPD_PAGES = {VPD_SUPPORTED_PAGES, VPD_UNIT_SERIAL, VPD_DEVICE_IDENTIFICATION,
            VPD_BLOCK_LIMITS, VPD_BLOCK_DEVICE_CHARACTERISTICS, VPD_LOGICAL_BLOCK_PROVISIONING};

    /** Peripheral qualifier 000b, device type 00h: a direct access block device is connected. */
    static final int DIRECT_ACCESS = 0x00;
    /** Peripheral qualifier 011b, device type 1Fh: no logical unit at this LUN (SPC-4 §6.6.2). */
    static final int NO_LOGICAL_UNIT = 0x7f;

    /** Version descriptors (SPC-4 Table 146): SAM-5, SPC-4, SBC-3, iSCSI (no version claimed). */
    private static final int[] VERSION_DESCRIPTORS = {0x00a0, 0x0460, 0x04c0, 0x0960};
    private static final int PROTOCOL_ISCSI = 0x5;

    static ScsiResult inquiry(LogicalUnit lu, ScsiCommand command) {
        byte[] cdb = command.cdb();
        boolean evpd = (cdb[1] & 0x01) != 0;
        int page = cdb[2] & 0xff;
        int allocation = Fields.u16(cdb, 3);
        if (!evpd) {
            if (page != 0) {
                throw ScsiFailure.invalidCdb(2, -1);   // SPC-4 §6.6.1: a page code needs EVPD
            }
            return DataIn.good(command, standard(DIRECT_ACCESS, lu.target().copyOffloadEnabled()), allocation);
        }
        byte[] data = switch (page) {
            case VPD_SUPPORTED_PAGES -> supportedPages();
            case VPD_UNIT_SERIAL -> unitSerial(lu);
            case VPD_DEVICE_IDENTIFICATION -> deviceIdentification(lu, command.nexus());
            case VPD_BLOCK_LIMITS -> blockLimits();
            case VPD_BLOCK_DEVICE_CHARACTERISTICS -> blockDeviceCharacteristics();
            case VPD_LOGICAL_BLOCK_PROVISIONING -> logicalBlockProvisioning();
            default -> throw ScsiFailure.invalidCdb(2, -1);
        };
        return DataIn.good(command, data, allocation);
    }

    /** INQUIRY at a LUN with no logical unit: the standard data with qualifier 011b, nothing else. */
    static ScsiResult noLogicalUnit(ScsiCommand command, boolean threePartyCopy) {
        byte[] cdb = command.cdb();
        int allocation = Fields.u16(cdb, 3);
        if ((cdb[1] & 0x01) != 0) {
            byte[] page = vpdHeader(cdb[2] & 0xff, 0);
            page[0] = (byte) NO_LOGICAL_UNIT;
            return DataIn.good(command, page, allocation);
        }
        return DataIn.good(command, standard(NO_LOGICAL_UNIT, threePartyCopy), allocation);
    }

    static byte[] standard(int peripheral, boolean threePartyCopy) {
        byte[] d = new byte[74];
        d[0] = (byte) peripheral;
        d[1] = 0;                     // RMB 0: not removable
        d[2] = 0x06;                  // VERSION: SPC-4
        d[3] = 0x12;                  // HISUP 1, RESPONSE DATA FORMAT 2
        d[4] = (byte) (d.length - 5); // ADDITIONAL LENGTH
        // TPGS 01b: implicit ALUA (REPORT TARGET PORT GROUPS, no SET); 3PC: EXTENDED COPY
        d[5] = (byte) (0x10 | (threePartyCopy ? 0x08 : 0));
        d[6] = 0;
        d[7] = 0x02;                  // CMDQUE: full task management model
        Fields.putAscii(d, 8, 8, DeviceIdentity.VENDOR);
        Fields.putAscii(d, 16, 16, DeviceIdentity.PRODUCT);
        Fields.putAscii(d, 32, 4, DeviceIdentity.REVISION);
        for (int i = 0; i < VERSION_DESCRIPTORS.length; i++) {
            Fields.put16(d, 58 + 2 * i, VERSION_DESCRIPTORS[i]);
        }
        return d;
    }

    private static byte[] supportedPages() {
        byte[] p = vpdHeader(VPD_SUPPORTED_PAGES, VPD_PAGES.length);
        for (int i = 0; i < VPD_PAGES.length; i++) {
            p[4 + i] = (byte) VPD_PAGES[i];
        }
        return p;
    }

    private static byte[] unitSerial(LogicalUnit lu) {
        byte[] serial = lu.serial().getBytes(StandardCharsets.US_ASCII);
        byte[] p = vpdHeader(VPD_UNIT_SERIAL, serial.length);
        System.arraycopy(serial, 0, p, 4, serial.length);
        return p;
    }

    /**
     * SPC-4 §7.8.6: the logical unit's NAA and T10 vendor designators, then the target port the
     * command came through (relative port, port group, SCSI name) and the target device's name.
     */
    private static byte[] deviceIdentification(LogicalUnit lu, ItNexus nexus) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(160);
        designator(out, 0x1, false, 0, 0x3, lu.naa());
        byte[] t10 = new byte[8 + lu.serial().length()];
        Fields.putAscii(t10, 0, 8, DeviceIdentity.VENDOR);
        Fields.putAscii(t10, 8, lu.serial().length(), lu.serial());
        designator(out, 0x2, false, 0, 0x1, t10);
        byte[] port = new byte[4];
        Fields.put16(port, 2, nexus.relativePortId());
        designator(out, 0x1, true, 1, 0x4, port);
        byte[] group = new byte[4];
        Fields.put16(group, 2, nexus.portalGroupTag());
        designator(out, 0x1, true, 1, 0x5, group);
        designator(out, 0x3, true, 1, 0x8, scsiName(nexus.targetPortName()));
        designator(out, 0x3, true, 2, 0x8, scsiName(nexus.targetName()));
        byte[] body = out.toByteArray();
        byte[] p = vpdHeader(VPD_DEVICE_IDENTIFICATION, body.length);
        System.arraycopy(body, 0, p, 4, body.length);
        return p;
    }

    /**
     * One designation descriptor: code set (1 binary, 2 ASCII, 3 UTF-8), PIV with the iSCSI protocol
     * identifier, association (0 logical unit, 1 target port, 2 target device), designator type.
     */
    private static void designator(ByteArrayOutputStream out, int codeSet, boolean piv, int association, int type, byte[] value) {
        out.write((piv ? PROTOCOL_ISCSI << 4 : 0) | codeSet);
        out.write((piv ? 0x80 : 0) | association << 4 | type);
        out.write(0);
        out.write(value.length);
        out.writeBytes(value);
    }

    /** SPC-4 §7.8.6.11: UTF-8, null terminated, padded with nulls to a multiple of 4 bytes. */
    private static byte[] scsiName(String name) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        byte[] v = new byte[(utf8.length + 4) & ~3];
        System.arraycopy(utf8, 0, v, 0, utf8.length);
        return v;
    }

    /** SBC-3 §6.5.3, every value from {@link BlockLimits}. */
    private static byte[] blockLimits() {
        byte[] p = vpdHeader(VPD_BLOCK_LIMITS, 0x3c);
        p[4] = 0x01;                                          // WSNZ: WRITE SAME of zero blocks is refused
        p[5] = (byte) MAX_COMPARE_AND_WRITE_BLOCKS;
        Fields.put16(p, 6, OPTIMAL_GRANULARITY_BLOCKS);
        Fields.put32(p, 8, MAX_TRANSFER_BLOCKS);
        Fields.put32(p, 12, OPTIMAL_TRANSFER_BLOCKS);
        Fields.put32(p, 16, 0);                               // MAXIMUM PREFETCH LENGTH: PRE-FETCH has nothing to fetch into
        Fields.put32(p, 20, MAX_UNMAP_BLOCKS);
        Fields.put32(p, 24, MAX_UNMAP_DESCRIPTORS);
        Fields.put32(p, 28, UNMAP_GRANULARITY_BLOCKS);
        Fields.put32(p, 32, 0x80000000L);                     // UGAVALID, UNMAP GRANULARITY ALIGNMENT 0
        Fields.put64(p, 36, MAX_WRITE_SAME_BLOCKS);
        return p;
    }

    private static byte[] blockDeviceCharacteristics() {
        byte[] p = vpdHeader(VPD_BLOCK_DEVICE_CHARACTERISTICS, 0x3c);
        Fields.put16(p, 4, 0x0001);                           // MEDIUM ROTATION RATE: non-rotating medium
        return p;
    }

    /** SBC-3 §6.5.4: UNMAP, WRITE SAME(16) and (10) with UNMAP; unmapped blocks read as zeros; thin. */
    private static byte[] logicalBlockProvisioning() {
        byte[] p = vpdHeader(VPD_LOGICAL_BLOCK_PROVISIONING, 4);
        p[4] = 0;                                             // THRESHOLD EXPONENT: no thresholds
        p[5] = (byte) (0x80 | 0x40 | 0x20 | 0x04);            // LBPU, LBPWS, LBPWS10, LBPRZ; ANC_SUP 0, DP 0
        p[6] = 0x02;                                          // PROVISIONING TYPE 010b: thin
        return p;
    }

    private static byte[] vpdHeader(int page, int length) {
        byte[] p = new byte[4 + length];
        p[0] = DIRECT_ACCESS;
        p[1] = (byte) page;
        Fields.put16(p, 2, length);
        return p;
    }
}
