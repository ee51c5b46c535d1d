package io.depot.nfs.rpc;

import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.bootstrap.AbstractBootstrap;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves ONC RPC programs over TCP (RFC 5531 record marking). Programs are registered with
 * {@link #register} at any time, before or after {@link #listen}; every listening port serves
 * every registered program. Handlers run on virtual threads.
 *
 * <pre>{@code
 * try (RpcServer server = RpcServer.builder().build()) {
 *     server.register(mountProgram);
 *     InetSocketAddress bound = server.listen(new InetSocketAddress(2049));
 *     ...
 * }
 * }</pre>
 *
 * <p>{@link #close} stops accepting, closes every connection, waits for running handlers, and
 * then releases the event loops.
 */
public final class RpcServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RpcServer.class);

    /** A 1 MiB NFS WRITE plus its call header, credential and file handle, with room to spare. */
    public static final int DEFAULT_MAX_RECORD = 1024 * 1024 + 16 * 1024;
    public static final int DEFAULT_MAX_OUTSTANDING = 128;

    private final RpcDispatcher dispatcher;
    private final int maxRecordSize;
    private final int maxOutstanding;
    private final EventLoopGroup boss;
    private final EventLoopGroup io;
    private final ExecutorService workers = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("rpc-worker-", 0).factory());
    private final ChannelGroup channels = new DefaultChannelGroup("rpc", GlobalEventExecutor.INSTANCE);
    private volatile boolean closed;

    private RpcServer(Builder b) {
        this.dispatcher = new RpcDispatcher(b.drc);
        this.maxRecordSize = b.maxRecordSize;
        this.maxOutstanding = b.maxOutstanding;
        this.boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        this.io = new MultiThreadIoEventLoopGroup(b.ioThreads, NioIoHandler.newFactory());
    }

    public static Builder builder() {
        return new Builder();
    }

    public void register(RpcProgram program) {
        dispatcher.register(program);
    }

    public RpcDispatcher dispatcher() { return dispatcher; }

    /**
     * Listens on {@code address} (port 0: an ephemeral port) and returns the bound address.
     *
     * @throws IOException when the address cannot be bound (in use, or a privileged port)
     */
    public InetSocketAddress listen(InetSocketAddress address) throws IOException {
        if (closed) {
            throw new IllegalStateException("server closed");
        }
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, io)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.SO_BACKLOG, 256)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        // replies complete one event-loop task each; coalesce their flushes into fewer writes
                        ch.pipeline().addLast("flush", new FlushConsolidationHandler(256, true));
                        ch.pipeline().addLast("record-encoder", RecordMarkingEncoder.INSTANCE);
                        ch.pipeline().addLast("record-decoder", new RecordMarkingDecoder(maxRecordSize));
                        ch.pipeline().addLast("rpc", new RpcConnectionHandler(dispatcher, workers, maxOutstanding));
                    }
                });
        InetSocketAddress bound = bind(b, address);
        log.debug("RPC listening on {}", bound);
        return bound;
    }

    /**
     * Also serves the registered programs over UDP on {@code address} (one datagram per call, at
     * most 8 KiB). Meant for the portmapper, which classic clients query over UDP.
     */
    public InetSocketAddress listenUdp(InetSocketAddress address) throws IOException {
        if (closed) {
            throw new IllegalStateException("server closed");
        }
        Bootstrap b = new Bootstrap()
                .group(io)
                .channel(NioDatagramChannel.class)
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(8192))
                .handler(new RpcDatagramHandler(dispatcher, workers, maxOutstanding));
        return bind(b, address);
    }

    /** Binds {@code b} to {@code address}, keeps its channel to close with the server, and returns the bound address. */
    private InetSocketAddress bind(AbstractBootstrap<?, ?> b, InetSocketAddress address) throws IOException {
        Channel ch;
        try {
            ch = b.bind(address).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding " + address, e);
        } catch (Exception e) { // Netty rethrows the bind failure unchecked-style
            if (e instanceof IOException io) {
                throw io;
            }
            throw new IOException("cannot listen on " + address + ": " + e.getMessage(), e);
        }
        channels.add(ch);
        return (InetSocketAddress) ch.localAddress();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        channels.close().awaitUninterruptibly();
        workers.shutdown();
        try {
            if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("RPC handlers still running 30 s after shutdown began");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        io.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    public static final class Builder {
        private int maxRecordSize = DEFAULT_MAX_RECORD;
        private int maxOutstanding = DEFAULT_MAX_OUTSTANDING;
        private int ioThreads = Math.max(2, Runtime.getRuntime().availableProcessors());
        private DuplicateRequestCache drc = new DuplicateRequestCache(4096, 64 * 1024);

        /** Largest RPC record accepted; a larger one closes the connection. */
        public Builder maxRecordSize(int bytes) {
            this.maxRecordSize = bytes;
            return this;
        }

        /** Calls of one connection executing at once; beyond it the connection stops being read. */
        public Builder maxOutstandingPerConnection(int calls) {
            if (calls < 1) {
                throw new IllegalArgumentException("maxOutstanding " + calls);
            }
            this.maxOutstanding = calls;
            return this;
        }

        public Builder ioThreads(int threads) {
            this.ioThreads = threads;
            return this;
        }

        /** The cache for non-idempotent procedures; null disables it. */
        public Builder duplicateRequestCache(DuplicateRequestCache drc) {
            this.drc = drc;
            return this;
        }

        public RpcServer build() {
            return new RpcServer(this);
        }
    }
}
