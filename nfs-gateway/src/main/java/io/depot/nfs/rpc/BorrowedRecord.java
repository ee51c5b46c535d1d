package io.depot.nfs.rpc;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.AbstractReferenceCounted;
import java.util.ArrayList;
import java.util.List;

/**
 * A reply record whose end is borrowed memory: the XDR written by the handler ({@link #head}), then
 * buffers that are views of memory someone else owns (a READ's views of the pool's mapped data
 * file), and a hook that gives that memory back once the views have been written to the socket
 * (write(2) has copied them) or will never be: the connection died, or the record was dropped.
 * Made by a handler as its {@link io.depot.nfs.xdr.XdrWriter#endWith trailer}, completed with the
 * head by {@link RpcDispatcher}, written as one record by {@link RecordMarkingEncoder}; the parts
 * leave in one gathering write.
 */
public final class BorrowedRecord extends AbstractReferenceCounted {
    private ByteBuf head;
    private final List<ByteBuf> tail = new ArrayList<>(4);
    private long tailBytes;
    private Runnable giveBack;

    /** @param giveBack run exactly once, when the borrowed views are no longer needed */
    public BorrowedRecord(Runnable giveBack) {
        this.giveBack = giveBack;
    }

    /** Appends bytes, taking ownership of the buffer. */
    public BorrowedRecord add(ByteBuf bytes) {
        tail.add(bytes);
        tailBytes += bytes.readableBytes();
        return this;
    }

    /** Puts the handler's XDR in front (taking ownership). */
    BorrowedRecord withHead(ByteBuf head) {
        this.head = head;
        return this;
    }

    /** Bytes of the whole record. */
    long length() {
        return (head == null ? 0 : head.readableBytes()) + tailBytes;
    }

    /**
     * Writes the head and every part, handing each to the channel; {@code promise} completes with
     * the last, and then (written or failed: the channel writes and fails in order) the memory is
     * given back.
     */
    void writeParts(ChannelHandlerContext ctx, ChannelPromise promise) {
        List<ByteBuf> parts = new ArrayList<>(tail.size() + 1);
        if (head != null) {
            parts.add(head);
            head = null;
        }
        parts.addAll(tail);
        tail.clear();
        Runnable done = takeGiveBack();
        ChannelPromise last = ctx.newPromise();
        last.addListener(f -> {
            done.run();
            if (!promise.isVoid()) {
                if (f.isSuccess()) {
                    promise.trySuccess();
                } else {
                    promise.tryFailure(f.cause());
                }
            }
        });
        if (parts.isEmpty()) {
            last.setSuccess();
            return;
        }
        for (int i = 0; i < parts.size(); i++) {
            ctx.write(parts.get(i), i == parts.size() - 1 ? last : ctx.voidPromise());
        }
    }

    private Runnable takeGiveBack() {
        Runnable r = giveBack;
        giveBack = () -> {};
        return r;
    }

    @Override
    protected void deallocate() {
        if (head != null) {
            head.release();
            head = null;
        }
        tail.forEach(ByteBuf::release);
        tail.clear();
        takeGiveBack().run(); // never written
    }

    @Override
    public BorrowedRecord touch(Object hint) {
        return this;
    }
}
