package io.depot.iscsi.fabric.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.util.zip.CRC32C;

/**
 * Writes {@link OutPdu}s: header (+ header digest), then the data segment as it is (no copy:
 * a read's payload goes from the pooled buffer the volume was read into straight to the
 * socket), then padding and data digest.
 */
public final class PduEncoder extends ChannelOutboundHandlerAdapter {
    private static final byte[] ZEROS = new byte[4];

    private boolean headerDigest;
    private boolean dataDigest;

    /** Called on the event loop right after the final login response is written. */
    public void configure(boolean headerDigest, boolean dataDigest) {
        this.headerDigest = headerDigest;
        this.dataDigest = dataDigest;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof OutPdu pdu)) {
            ctx.write(msg, promise);
            return;
        }
        ByteBuf header = pdu.header().retain();
        ByteBuf data = pdu.data().retain();
        pdu.release();
        int length = data.readableBytes();
        header.setMedium(5, length);
        if (headerDigest) {
            header.writeIntLE(Digest.crc32c(header, 0, Pdu.BHS_LENGTH));
        }
        if (length == 0) {
            data.release();
            ctx.write(header, promise);
            return;
        }
        ctx.write(header, ctx.voidPromise());
        int pad = Digest.padding(length);
        if (pad == 0 && !dataDigest) {
            ctx.write(data, promise);
            return;
        }
        ByteBuf tail = ctx.alloc().buffer(8);
        tail.writeBytes(ZEROS, 0, pad);
        if (dataDigest) {
            CRC32C crc = new CRC32C();
            Digest.update(crc, data, data.readerIndex(), length);
            crc.update(ZEROS, 0, pad);
            tail.writeIntLE((int) crc.getValue());
        }
        ctx.write(data, ctx.voidPromise());
        ctx.write(tail, promise);
    }
}
