package io.depot.nfs.rpc;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

/**
 * Writes each outbound ByteBuf or {@link BorrowedRecord} as one RPC record in a single fragment
 * (RFC 5531 §11). The record itself is written as it is, behind a separately allocated four-byte
 * header, so a large reply payload is never copied (a borrowed record's views of the pool's data file go from the
 * page cache to the socket buffers in one copy, the kernel's). Takes ownership of the message.
 */
@ChannelHandler.Sharable
public final class RecordMarkingEncoder extends ChannelOutboundHandlerAdapter {
    public static final RecordMarkingEncoder INSTANCE = new RecordMarkingEncoder();

    /** Largest fragment the 31-bit length can carry. */
    static final int MAX_FRAGMENT = 0x7fff_ffff;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf record) {
            ctx.write(header(ctx, record.readableBytes()), ctx.voidPromise());
            ctx.write(record, promise);
        } else if (msg instanceof BorrowedRecord borrowed) {
            try {
                ctx.write(header(ctx, borrowed.length()), ctx.voidPromise());
                borrowed.writeParts(ctx, promise);
            } finally {
                borrowed.release();
            }
        } else {
            ctx.write(msg, promise);
        }
    }

    private static ByteBuf header(ChannelHandlerContext ctx, long length) {
        ByteBuf header = ctx.alloc().buffer(4);
        header.writeInt(0x8000_0000 | (int) length);
        return header;
    }
}
