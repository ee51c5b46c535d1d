package io.depot.iscsi.scsi;

import static io.depot.iscsi.scsi.BlockLimits.BLOCK_SIZE;

import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;

/** MODE SENSE(6)/(10) and MODE SELECT(6)/(10) (SPC-4 §6.11-§6.14). */
final class ModeCommands {
    private ModeCommands() {}

    static ScsiResult modeSense(LogicalUnit lu, ScsiCommand command) {
        byte[] cdb = command.cdb();
        boolean ten = command.opcode() == 0x5a;
        boolean dbd = (cdb[1] & 0x08) != 0;
        boolean llbaa = ten && (cdb[1] & 0x10) != 0;
        int pc = (cdb[2] & 0xff) >>> 6;
        int page = cdb[2] & 0x3f;
        int subpage = cdb[3] & 0xff;
        int allocation = ten ? Fields.u16(cdb, 7) : Fields.u8(cdb, 4);

        if (pc == ModePages.PC_SAVED) {
            // SPC-4 §6.11.2: saved values not implemented
            throw ScsiFailure.of(SenseReason.SAVING_PARAMETERS_NOT_SUPPORTED);
        }
        if (page == ModePages.ALL_PAGES ? subpage != 0x00 && subpage != 0xff : subpage != 0x00) {
            throw ScsiFailure.invalidCdb(3, -1);
        }
        if (page != ModePages.ALL_PAGES && !ModePages.supported(page)) {
            throw ScsiFailure.invalidCdb(2, 5);
        }

        ByteArrayOutputStream pages = new ByteArrayOutputStream(80);
        for (int p : ModePages.PAGES) {
            if (page == ModePages.ALL_PAGES || page == p) {
                pages.writeBytes(lu.modePages().page(p, pc));
            }
        }
        long blocks = lu.capacityBlocks();
        byte[] descriptor = dbd ? new byte[0] : llbaa ? new byte[16] : new byte[8];
        if (llbaa) {
            Fields.put64(descriptor, 0, blocks);
            Fields.put32(descriptor, 12, BLOCK_SIZE);
        } else if (!dbd) {
            // SBC-3 §6.4.2: NUMBER OF LOGICAL BLOCKS saturates at FFFFFFFFh
            Fields.put32(descriptor, 0, Math.min(blocks, 0xffffffffL));
            Fields.put32(descriptor, 4, BLOCK_SIZE);   // byte 4 reserved, block length in bytes 5-7
        }
        // DEVICE-SPECIFIC PARAMETER (SBC-3 §6.4.1): WP for read-only LUNs, DPOFUA: DPO and FUA accepted
        int deviceSpecific = (lu.backend().readOnly() ? 0x80 : 0) | 0x10;

        int headerLength = ten ? 8 : 4;
        byte[] data = new byte[headerLength + descriptor.length + pages.size()];
        if (ten) {
            Fields.put16(data, 0, data.length - 2);
            data[3] = (byte) deviceSpecific;
            data[4] = (byte) (llbaa ? 0x01 : 0);   // LONGLBA
            Fields.put16(data, 6, descriptor.length);
        } else {
            data[0] = (byte) (data.length - 1);
            data[2] = (byte) deviceSpecific;
            data[3] = (byte) descriptor.length;
        }
        System.arraycopy(descriptor, 0, data, headerLength, descriptor.length);
        System.arraycopy(pages.toByteArray(), 0, data, headerLength + descriptor.length, pages.size());
        return DataIn.good(command, data, allocation);
    }

    /** MODE SELECT(6/10) PARAMETER LIST LENGTH: the Data-Out the command carries. */
    static int parameterListLength(byte[] cdb) {
        return (cdb[0] & 0xff) == 0x55 ? Fields.u16(cdb, 7) : Fields.u8(cdb, 4);
    }

    static ScsiResult modeSelect(LogicalUnit lu, ScsiCommand command) {
        byte[] cdb = command.cdb();
        boolean ten = command.opcode() == 0x55;
        if ((cdb[1] & 0x01) != 0) {
            throw ScsiFailure.invalidCdb(1, 0);   // SP: we cannot save pages
        }
        int listLength = parameterListLength(cdb);
        if (listLength == 0) {
            return ScsiResult.OK;
        }
        ByteBuf out = command.dataOut();
        if (out == null || out.readableBytes() < listLength) {
            throw ScsiFailure.of(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        }
        byte[] params = new byte[listLength];
        out.getBytes(out.readerIndex(), params);

        int headerLength = ten ? 8 : 4;
        if (listLength < headerLength) {
            throw ScsiFailure.of(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        }
        int descriptorLength = ten ? Fields.u16(params, 6) : Fields.u8(params, 3);
        boolean longLba = ten && (params[4] & 0x01) != 0;
        int expectedDescriptor = longLba ? 16 : 8;
        if (descriptorLength != 0 && descriptorLength != expectedDescriptor) {
            throw ScsiFailure.invalidParameter(ten ? 6 : 3, -1);
        }
        if (headerLength + descriptorLength > listLength) {
            throw ScsiFailure.of(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        }
        if (descriptorLength != 0) {
            // The block length cannot change: 512 bytes or zero ("unchanged") only
            int at = headerLength + (longLba ? 12 : 4);
            long blockLength = longLba ? Fields.u32(params, at) : Fields.u32(params, at) & 0xffffff;
            if (blockLength != 0 && blockLength != BLOCK_SIZE) {
                throw ScsiFailure.invalidParameter(at, -1);
            }
        }
        // Validate every page before applying any, so a bad page changes nothing
        int first = headerLength + descriptorLength;
        for (int off = first; off < listLength; ) {
            if (off + 2 > listLength || off + ModePages.length(params, off) > listLength) {
                throw ScsiFailure.of(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
            }
            lu.modePages().select(params, off, ModePages.length(params, off), false);
            off += ModePages.length(params, off);
        }
        boolean changed = false;
        for (int off = first; off < listLength; off += ModePages.length(params, off)) {
            changed |= lu.modePages().select(params, off, ModePages.length(params, off), true);
        }
        if (changed) {
            // SPC-4 §5.14: other I_T nexuses learn that mode parameters changed
            lu.unitAttentions().raiseForOthers(command.nexus(), SenseReason.MODE_PARAMETERS_CHANGED);
        }
        return ScsiResult.OK;
    }
}
