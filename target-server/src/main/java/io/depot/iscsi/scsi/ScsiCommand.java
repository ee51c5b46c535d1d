package io.depot.iscsi.scsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * One SCSI command as the command layer sees it: no PDUs, no sequence numbers. The fabric has
 * already gathered all data-out (immediate, unsolicited and R2T-solicited) into {@code dataOut}.
 *
 * <p>Buffer ownership: {@code dataOut} stays owned by the fabric, which releases it after
 * {@link CommandLayer#execute} returns; the command layer must not keep or release it. Data-in
 * in the returned {@link ScsiResult} is owned by the fabric from then on.
 *
 * @param lun            the LUN as a number (the 64-bit LUN field decoded to flat/peripheral addressing)
 * @param cdb            the CDB, 16 bytes or longer (shorter CDBs zero-padded)
 * @param nexus          who sent it
 * @param attribute      task attribute
 * @param expectedLength expected data transfer length from the initiator (bytes, either direction)
 * @param dataOut        the data-out bytes (readable bytes = what was received), or null when none
 * @param alloc          where to allocate data-in buffers (pooled, direct)
 */
public record ScsiCommand(long lun, byte[] cdb, ItNexus nexus, TaskAttribute attribute, int expectedLength,
                          ByteBuf dataOut, ByteBufAllocator alloc) {

    public int opcode() { return cdb[0] & 0xff; }
}
