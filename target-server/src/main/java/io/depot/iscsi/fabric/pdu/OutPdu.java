package io.depot.iscsi.fabric.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.ReferenceCounted;

/**
 * A PDU to send: a 48-byte header whose fields the sender fills, and an optional data segment.
 * The encoder sets DataSegmentLength and adds padding and digests. Ownership of both buffers
 * passes to the channel on write.
 */
public final class OutPdu extends AbstractReferenceCounted {
    private final ByteBuf header;
    private final ByteBuf data;

    private OutPdu(ByteBuf header, ByteBuf data) {
        this.header = header;
        this.data = data;
    }

    /** A zeroed header with the opcode and first flags byte set. */
    public static OutPdu of(ByteBufAllocator alloc, int opcode, int flags, ByteBuf data) {
        ByteBuf h = alloc.buffer(Pdu.BHS_LENGTH + 4);
        h.writeZero(Pdu.BHS_LENGTH);
        h.setByte(0, opcode);
        h.setByte(1, flags);
        return new OutPdu(h, data == null ? Unpooled.EMPTY_BUFFER : data);
    }

    public int opcode() { return header.getByte(0) & 0x3f; }

    public ByteBuf header() { return header; }

    public ByteBuf data() { return data; }

    public OutPdu setByte(int offset, int value) {
        header.setByte(offset, value);
        return this;
    }

    public OutPdu setShort(int offset, int value) {
        header.setShort(offset, value);
        return this;
    }

    public OutPdu setInt(int offset, int value) {
        header.setInt(offset, value);
        return this;
    }

    public OutPdu setLong(int offset, long value) {
        header.setLong(offset, value);
        return this;
    }

    public int getInt(int offset) { return header.getInt(offset); }

    @Override
    protected void deallocate() {
        header.release();
        data.release();
    }

    @Override
    public ReferenceCounted touch(Object hint) {
        header.touch(hint);
        return this;
    }

    @Override
    public String toString() {
        return Opcode.name(opcode()) + " itt=0x" + Integer.toHexString(header.getInt(16)) + " len=" + data.readableBytes();
    }
}
