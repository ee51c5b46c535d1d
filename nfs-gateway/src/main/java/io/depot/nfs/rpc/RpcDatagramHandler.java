package io.depot.nfs.rpc;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;

/**
 * RPC over UDP (RFC 5531 §11 does not apply: one datagram is one message). Served only where
 * clients insist on it: the portmapper, which rpcinfo, showmount and mount.nfs query over UDP
 * first. A datagram that arrives while {@code maxOutstanding} calls are executing is dropped:
 * UDP clients retransmit.
 */
final class RpcDatagramHandler extends SimpleChannelInboundHandler<DatagramPacket> {
    private final RpcDispatcher dispatcher;
    private final Executor workers;
    private final Semaphore slots;

    RpcDatagramHandler(RpcDispatcher dispatcher, Executor workers, int maxOutstanding) {
        this.dispatcher = dispatcher;
        this.workers = workers;
        this.slots = new Semaphore(maxOutstanding);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
        InetSocketAddress sender = packet.sender();
        RpcDispatcher.Decoded decoded = dispatcher.decode(packet.content().retain(), sender, ctx.alloc());
        switch (decoded) {
            case RpcDispatcher.Reply r -> ctx.writeAndFlush(new DatagramPacket(r.reply(), sender));
            case RpcDispatcher.Drop d -> { }
            case RpcDispatcher.Call c -> {
                if (!slots.tryAcquire()) {
                    c.record().release();
                    return;
                }
                try {
                    workers.execute(() -> {
                        try {
                            ByteBuf reply = dispatcher.execute(c, ctx.alloc());
                            if (reply != null) {
                                ctx.writeAndFlush(new DatagramPacket(reply, sender));
                            }
                        } finally {
                            slots.release();
                        }
                    });
                } catch (RejectedExecutionException e) {
                    slots.release();
                    c.record().release();
                }
            }
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // a datagram socket has no peer to drop; an ICMP error for one client must not stop the others
    }
}
