package io.depot.nfs.rpc;

import io.depot.nfs.xdr.XdrWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A small blocking ONC RPC client over TCP or a Unix domain socket: one call at a time. Used to
 * register with a system rpcbind, and by tests. Not for the data path.
 */
public final class RpcClient implements AutoCloseable {
    private static final int MAX_REPLY = 16 * 1024 * 1024;
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "rpc-client-timeout");
        t.setDaemon(true);
        return t;
    });
    private static final AtomicInteger XIDS = new AtomicInteger((int) System.nanoTime());

    private final SocketChannel channel;
    private final Duration timeout;
    private Credential credential = Credential.None.INSTANCE;

    private RpcClient(SocketChannel channel, Duration timeout) {
        this.channel = channel;
        this.timeout = timeout;
    }

    /** Connects over TCP or, for a {@link UnixDomainSocketAddress}, a Unix domain socket. */
    public static RpcClient connect(SocketAddress server, Duration timeout) throws IOException {
        return connect(server, null, timeout);
    }

    /** Connects from a chosen local address (a reserved port, for servers that insist on one). */
    public static RpcClient connect(SocketAddress server, InetSocketAddress local, Duration timeout) throws IOException {
        SocketChannel ch = server instanceof UnixDomainSocketAddress
                ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
        try {
            if (local != null) {
                ch.bind(local);
            }
            if (!(server instanceof UnixDomainSocketAddress)) {
                ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
            }
            ScheduledFuture<?> t = TIMER.schedule(() -> closeQuietly(ch), timeout.toMillis(), TimeUnit.MILLISECONDS);
            try {
                ch.connect(server);
            } finally {
                t.cancel(false);
            }
            return new RpcClient(ch, timeout);
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /** The credential sent with following calls (AUTH_NONE until set). */
    public RpcClient credential(Credential credential) {
        this.credential = credential;
        return this;
    }

    /** Sends one call and waits for its reply (the reply must carry the same xid). */
    public RpcReply call(int program, int version, int procedure, Consumer<XdrWriter> args) throws IOException {
        int xid = XIDS.incrementAndGet();
        XdrWriter w = new XdrWriter(UnpooledByteBufAllocator.DEFAULT);
        w.writeInt(xid).writeInt(Rpc.CALL).writeInt(Rpc.VERSION)
                .writeInt(program).writeInt(version).writeInt(procedure);
        writeCredential(w, credential);
        w.writeInt(Rpc.AUTH_NONE).writeInt(0);
        if (args != null) {
            args.accept(w);
        }
        ByteBuf body = w.finish();
        try {
            byte[] bytes = new byte[body.readableBytes()];
            body.readBytes(bytes);
            sendRecord(bytes);
        } finally {
            body.release();
        }
        RpcReply reply = RpcReply.parse(Unpooled.wrappedBuffer(receiveRecord()));
        if (reply.xid() != xid) {
            throw new IOException("reply xid 0x" + Integer.toHexString(reply.xid()) + " for call 0x" + Integer.toHexString(xid));
        }
        return reply;
    }

    static void writeCredential(XdrWriter w, Credential c) {
        switch (c) {
            case Credential.None n -> w.writeInt(Rpc.AUTH_NONE).writeInt(0);
            case Credential.Sys s -> {
                XdrWriter body = new XdrWriter(UnpooledByteBufAllocator.DEFAULT);
                body.writeInt(s.stamp()).writeString(s.machineName()).writeInt(s.uid()).writeInt(s.gid());
                int[] gids = s.gids();
                body.writeInt(gids.length);
                for (int g : gids) {
                    body.writeInt(g);
                }
                ByteBuf b = body.finish();
                byte[] bytes = new byte[b.readableBytes()];
                b.readBytes(bytes);
                b.release();
                w.writeInt(Rpc.AUTH_SYS).writeOpaque(bytes);
            }
        }
    }

    /** Writes raw bytes as one record (tests use it to send malformed calls). */
    public void sendRecord(byte[] record) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 + record.length);
        b.putInt(0x8000_0000 | record.length).put(record).flip();
        sendRaw(b);
    }

    /** Writes raw bytes with no framing (tests use it to send broken framing). */
    public void sendRaw(ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    /** Reads one whole record, joining its fragments; times out by closing the connection. */
    public byte[] receiveRecord() throws IOException {
        ScheduledFuture<?> t = TIMER.schedule(() -> closeQuietly(channel), timeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            ByteBuffer out = ByteBuffer.allocate(0);
            boolean last = false;
            while (!last) {
                ByteBuffer header = readFully(4);
                int h = header.getInt();
                last = h < 0;
                int len = h & 0x7fff_ffff;
                if (out.position() + len > MAX_REPLY) {
                    throw new IOException("reply larger than " + MAX_REPLY);
                }
                ByteBuffer frag = readFully(len);
                ByteBuffer joined = ByteBuffer.allocate(out.position() + len);
                joined.put(out.flip()).put(frag);
                out = joined;
            }
            byte[] r = new byte[out.position()];
            out.flip().get(r);
            return r;
        } finally {
            t.cancel(false);
        }
    }

    private ByteBuffer readFully(int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (channel.read(b) < 0) {
                throw new EOFException("connection closed by the server");
            }
        }
        return b.flip();
    }

    /** True while the server has not closed the connection (reads nothing if there is no data). */
    public boolean isOpen() {
        return channel.isOpen();
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }
}
