package io.depot.iscsi.fabric.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits the TCP stream into PDUs (RFC 7143 §11.2). A PDU is emitted only when all of it has
 * arrived; header checks (lengths, header digest) happen before any payload is looked at.
 *
 * <p>Limits: a data segment larger than {@link #maxDataSegmentLength} or an AHS beyond
 * {@link #MAX_AHS_LENGTH} is a format error — the stream cannot be trusted any more, so the
 * decoder raises {@link PduFormatException} and discards everything after it. This bounds the
 * memory one connection can make us hold to one maximal PDU.
 */
public final class PduDecoder extends ByteToMessageDecoder {
    /** Extended CDB AHS for a 260-byte CDB is the largest we accept (RFC 7143 §11.3.4). */
    public static final int MAX_AHS_LENGTH = 264;

    private boolean headerDigest;
    private boolean dataDigest;
    private int maxDataSegmentLength;
    private boolean failed;

    public PduDecoder(int maxDataSegmentLength) {
        this.maxDataSegmentLength = maxDataSegmentLength;
    }

    /** Switches digests and the accepted segment size; called on the event loop when login completes. */
    public void configure(boolean headerDigest, boolean dataDigest, int maxDataSegmentLength) {
        this.headerDigest = headerDigest;
        this.dataDigest = dataDigest;
        this.maxDataSegmentLength = maxDataSegmentLength;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < Pdu.BHS_LENGTH) {
            return;
        }
        int start = in.readerIndex();
        int ahsLength = in.getUnsignedByte(start + 4) * 4;
        int dataLength = in.getUnsignedMedium(start + 5);
        if (ahsLength > MAX_AHS_LENGTH) {
            fail(String.format("TotalAHSLength of %d bytes in a PDU with opcode 0x%02x exceeds %d",
                    ahsLength, in.getByte(start) & 0x3f, MAX_AHS_LENGTH));
            in.skipBytes(in.readableBytes());
            return;
        }
        if (dataLength > maxDataSegmentLength) {
            fail(String.format("DataSegmentLength of %d bytes in a PDU with opcode 0x%02x exceeds the negotiated %d",
                    dataLength, in.getByte(start) & 0x3f, maxDataSegmentLength));
            in.skipBytes(in.readableBytes());
            return;
        }
        int headerLength = Pdu.BHS_LENGTH + ahsLength;
        int dataDigestLength = dataDigest && dataLength > 0 ? 4 : 0;
        int total = headerLength + (headerDigest ? 4 : 0) + dataLength + Digest.padding(dataLength) + dataDigestLength;
        if (in.readableBytes() < total) {
            return;
        }
        if (headerDigest) {
            int expected = in.getIntLE(start + headerLength);
            if (Digest.crc32c(in, start, headerLength) != expected) {
                fail("header digest mismatch: the connection is dropped (error recovery level 0)");
                in.skipBytes(in.readableBytes());
                return;
            }
        }
        int dataStart = start + headerLength + (headerDigest ? 4 : 0);
        if (dataDigestLength > 0) {
            int padded = dataLength + Digest.padding(dataLength);
            int expected = in.getIntLE(dataStart + padded);
            if (Digest.crc32c(in, dataStart, padded) != expected) {
                ByteBuf bhs = in.retainedSlice(start, Pdu.BHS_LENGTH);
                in.skipBytes(total);
                out.add(new DataDigestError(bhs));
                return;
            }
        }
        ByteBuf bhs = in.retainedSlice(start, Pdu.BHS_LENGTH);
        ByteBuf ahs = ahsLength == 0 ? Unpooled.EMPTY_BUFFER : in.retainedSlice(start + Pdu.BHS_LENGTH, ahsLength);
        ByteBuf data = dataLength == 0 ? Unpooled.EMPTY_BUFFER : in.retainedSlice(dataStart, dataLength);
        in.skipBytes(total);
        out.add(new Pdu(bhs, ahs, data));
    }

    private void fail(String why) {
        failed = true;
        throw new PduFormatException(why);
    }
}
