package io.depot.iscsi.fabric.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;
import io.netty.util.AbstractReferenceCounted;

/**
 * One received PDU: the 48-byte Basic Header Segment, any additional header segments, and the
 * data segment (without padding or digests). Field accessors follow RFC 7143 §11.
 *
 * <p>Ownership: the decoder hands each PDU to the next handler, which must {@link #release()}
 * it (or pass it on). The data segment is a slice of the receive buffer; {@link #retainData()}
 * keeps it beyond the PDU's release (a write's immediate data, for instance).
 */
public final class Pdu extends AbstractReferenceCounted {
    public static final int BHS_LENGTH = 48;

    private final ByteBuf bhs;
    private final ByteBuf ahs;
    private final ByteBuf data;

    public Pdu(ByteBuf bhs, ByteBuf ahs, ByteBuf data) {
        this.bhs = bhs;
        this.ahs = ahs;
        this.data = data;
    }

    public ByteBuf bhs() { return bhs; }

    /** Additional header segments (e.g. an extended CDB AHS), possibly empty; never null. */
    public ByteBuf ahs() { return ahs; }

    /** The data segment (padding and digest removed); possibly empty, never null. */
    public ByteBuf data() { return data; }

    public ByteBuf retainData() { return data.retain(); }

    public int opcode() { return bhs.getByte(0) & 0x3f; }

    public boolean immediate() { return (bhs.getByte(0) & 0x40) != 0; }

    public int flags() { return bhs.getByte(1) & 0xff; }

    public boolean finalFlag() { return (flags() & 0x80) != 0; }

    public int dataSegmentLength() { return bhs.getUnsignedMedium(5); }

    /** Bytes 8..15: the LUN for SCSI-related PDUs, the ISID/TSIH for login. */
    public long lunField() { return bhs.getLong(8); }

    public int itt() { return bhs.getInt(16); }

    /** Bytes 20..23: TTT, or the expected data transfer length of a SCSI Command. */
    public int word20() { return bhs.getInt(20); }

    /** Bytes 24..27: CmdSN on requests (DataSN-free PDUs). */
    public int cmdSN() { return bhs.getInt(24); }

    /** Bytes 28..31: ExpStatSN on requests. */
    public int expStatSN() { return bhs.getInt(28); }

    public int getInt(int offset) { return bhs.getInt(offset); }

    public int getByte(int offset) { return bhs.getByte(offset) & 0xff; }

    public short getShort(int offset) { return bhs.getShort(offset); }

    @Override
    protected void deallocate() {
        bhs.release();
        ahs.release();
        data.release();
    }

    @Override
    public ReferenceCounted touch(Object hint) {
        bhs.touch(hint);
        data.touch(hint);
        return this;
    }

    @Override
    public String toString() {
        return Opcode.name(opcode()) + " itt=0x" + Integer.toHexString(itt()) + " len=" + dataSegmentLength();
    }
}
