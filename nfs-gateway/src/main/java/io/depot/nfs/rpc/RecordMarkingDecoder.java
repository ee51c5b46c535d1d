package io.depot.nfs.rpc;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits a TCP stream into RPC records (RFC 5531 §11): each fragment has a four-byte header,
 * the high bit marking the last fragment of a record and the low 31 bits its length. Emits one
 * ByteBuf per complete record; the receiver owns and releases it.
 *
 * <p>Limits: a record larger than {@code maxRecordSize}, or made of more than
 * {@link #MAX_FRAGMENTS} fragments, is refused as soon as its fragment header says so, before
 * the payload is buffered: the stream cannot be resynchronised, so the decoder throws
 * {@link RecordFramingException} and discards everything after. One connection can thus make us
 * hold at most one maximal record.
 */
public final class RecordMarkingDecoder extends ByteToMessageDecoder {
    /** No real client splits a record into more than a handful of fragments. */
    public static final int MAX_FRAGMENTS = 1024;
    private static final int LAST_FRAGMENT = 0x8000_0000;

    private final int maxRecordSize;
    private CompositeByteBuf partial; // fragments of the record being assembled
    private int recordSize;
    private int fragments;
    private int fragmentLength = -1; // -1: awaiting a fragment header
    private boolean lastFragment;
    private boolean failed;

    public RecordMarkingDecoder(int maxRecordSize) {
        this.maxRecordSize = maxRecordSize;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        while (true) {
            if (fragmentLength < 0) {
                if (in.readableBytes() < 4) {
                    return;
                }
                int header = in.readInt();
                lastFragment = (header & LAST_FRAGMENT) != 0;
                fragmentLength = header & ~LAST_FRAGMENT;
                fragments++;
                if ((long) recordSize + fragmentLength > maxRecordSize) {
                    fail(in, "RPC record of more than " + maxRecordSize + " bytes (fragment of "
                            + fragmentLength + " after " + recordSize + ")");
                }
                if (fragments > MAX_FRAGMENTS) {
                    fail(in, "RPC record split into more than " + MAX_FRAGMENTS + " fragments");
                }
            }
            if (in.readableBytes() < fragmentLength) {
                return;
            }
            ByteBuf fragment = in.readRetainedSlice(fragmentLength);
            recordSize += fragmentLength;
            fragmentLength = -1;
            if (lastFragment && partial == null) {
                out.add(fragment); // the common case: a one-fragment record, no copy, no composite
            } else {
                if (partial == null) {
                    partial = ctx.alloc().compositeBuffer(MAX_FRAGMENTS);
                }
                partial.addComponent(true, fragment);
                if (lastFragment) {
                    out.add(partial);
                    partial = null;
                }
            }
            if (lastFragment) {
                recordSize = 0;
                fragments = 0;
            }
        }
    }

    private void fail(ByteBuf in, String why) {
        failed = true;
        in.skipBytes(in.readableBytes());
        releasePartial();
        throw new RecordFramingException(why);
    }

    private void releasePartial() {
        if (partial != null) {
            partial.release();
            partial = null;
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        releasePartial();
    }
}
