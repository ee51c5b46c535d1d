package io.depot.nfs.rpc;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP connection's calls. Call headers are checked on the event loop; handlers run on
 * worker threads, except what a procedure's fast path answers on the event loop (tried only while
 * no call waits, and for {@link RpcProcedure#quickWhenIdle} only while the connection is idle);
 * each reply is written as soon as it is ready, so replies may leave in a different order than
 * calls came (RFC 5531 §9: the xid matches them up).
 *
 * <p>At most {@code maxOutstanding} calls of a connection execute at once. When the limit is
 * reached the connection stops reading from the socket; calls already decoded from the last read
 * wait in a queue (bounded by what one read can hold) and reading resumes once the queue is
 * empty and a slot is free. All state is touched on the event loop only.
 */
final class RpcConnectionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(RpcConnectionHandler.class);

    private final RpcDispatcher dispatcher;
    private final Executor workers;
    private final int maxOutstanding;
    private final ArrayDeque<RpcDispatcher.Call> waiting = new ArrayDeque<>();
    private int outstanding;
    private boolean paused;
    /** Whether a call was answered on the event loop since the current socket read began. */
    private boolean answeredThisRead;
    private InetSocketAddress remote;

    RpcConnectionHandler(RpcDispatcher dispatcher, Executor workers, int maxOutstanding) {
        this.dispatcher = dispatcher;
        this.workers = workers;
        this.maxOutstanding = maxOutstanding;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        remote = (InetSocketAddress) ctx.channel().remoteAddress();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf record)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        RpcDispatcher.Decoded decoded = dispatcher.decode(record, remote, ctx.alloc());
        switch (decoded) {
            case RpcDispatcher.Reply r -> ctx.writeAndFlush(r.reply());
            case RpcDispatcher.Drop d -> log.debug("dropping a record from {}: {}", remote, d.why());
            case RpcDispatcher.Call c -> {
                boolean idle = outstanding == 0 && waiting.isEmpty() && !answeredThisRead;
                Object quick = waiting.isEmpty() && (idle || !c.procedure().quickWhenIdle())
                        ? dispatcher.tryQuick(c, ctx.alloc()) : null;
                if (quick != null) {
                    answeredThisRead = true;
                    ctx.writeAndFlush(quick); // answered from memory on the event loop: no worker
                    return;
                }
                if (waiting.isEmpty() && outstanding < maxOutstanding
                        && dispatcher.tryDeferred(c, ctx.alloc(), (reply, close) -> deferredDone(ctx, reply, close))) {
                    outstanding++; // made on the event loop; its reply waits for durability, counted like a worker's
                    return;
                }
                waiting.add(c);
                startWaiting(ctx);
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        answeredThisRead = false;
        ctx.fireChannelReadComplete();
    }

    private void startWaiting(ChannelHandlerContext ctx) {
        while (outstanding < maxOutstanding && !waiting.isEmpty()) {
            RpcDispatcher.Call c = waiting.poll();
            outstanding++;
            try {
                workers.execute(() -> run(ctx, c));
            } catch (RejectedExecutionException e) { // the server is shutting down
                outstanding--;
                c.record().release();
                ctx.close();
                return;
            }
        }
        boolean full = outstanding >= maxOutstanding || !waiting.isEmpty();
        if (full && !paused) {
            paused = true;
            ctx.channel().config().setAutoRead(false);
        } else if (!full && paused) {
            paused = false;
            ctx.channel().config().setAutoRead(true);
            ctx.read();
        }
    }

    /** On a worker thread. */
    private void run(ChannelHandlerContext ctx, RpcDispatcher.Call c) {
        Object reply = null;
        try {
            reply = dispatcher.execute(c, ctx.alloc(), true);
        } catch (Throwable t) {
            log.error("RPC call {} failed outside its handler; closing the connection", c.call(), t);
            ctx.channel().close();
        } finally {
            Object r = reply;
            try {
                ctx.executor().execute(() -> finished(ctx, r));
            } catch (RejectedExecutionException e) { // event loop gone: the server is shutting down
                ReferenceCountUtil.release(r);
            }
        }
    }

    /** From any thread: the outcome of a call taken by {@link RpcDispatcher#tryDeferred}. */
    private void deferredDone(ChannelHandlerContext ctx, ByteBuf reply, boolean close) {
        try {
            ctx.executor().execute(() -> {
                if (close) {
                    ctx.channel().close();
                }
                finished(ctx, reply);
            });
        } catch (RejectedExecutionException e) { // event loop gone: the server is shutting down
            ReferenceCountUtil.release(reply);
        }
    }

    private void finished(ChannelHandlerContext ctx, Object reply) {
        outstanding--;
        if (reply != null) {
            ctx.writeAndFlush(reply); // on a closed channel Netty fails the write and releases the buffer
        }
        if (ctx.channel().isActive()) {
            startWaiting(ctx);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        RpcDispatcher.Call c;
        while ((c = waiting.poll()) != null) {
            c.record().release();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable why = cause.getCause() instanceof RecordFramingException f ? f : cause;
        if (why instanceof RecordFramingException) {
            log.info("closing the RPC connection from {}: {}", remote, why.getMessage());
        } else {
            log.debug("closing the RPC connection from {}", remote, why);
        }
        ctx.close();
    }

    /** For tests: calls executing now. */
    int outstanding() { return outstanding; }
}
