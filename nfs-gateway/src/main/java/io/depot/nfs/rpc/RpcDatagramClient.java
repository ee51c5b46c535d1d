package io.depot.nfs.rpc;

import io.depot.nfs.xdr.XdrDecodeException;
import io.depot.nfs.xdr.XdrWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.IOException;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * A blocking ONC RPC client over UDP, one call at a time, with AUTH_NONE: how status monitors
 * talk (SM_NOTIFY, and the portmapper lookup before it) and how lock managers called back over UDP
 * are reached. A call is retransmitted with the same
 * xid until a reply with that xid arrives or the time runs out; other datagrams are ignored.
 */
public final class RpcDatagramClient implements AutoCloseable {
    private static final int MAX_REPLY = 8192;
    /** rpc.statd's sm-notify also sends from a reserved port when it can; some peers trust only those. */
    private static final int LOWEST_RESERVED = 600;
    private static final int HIGHEST_RESERVED = 1023;

    private final DatagramSocket socket;
    private int xid = ThreadLocalRandom.current().nextInt();

    private RpcDatagramClient(DatagramSocket socket) {
        this.socket = socket;
    }

    /** A client on an ephemeral port, or on a reserved one when {@code reserved} and the process may bind one. */
    public static RpcDatagramClient open(boolean reserved) throws IOException {
        if (reserved) {
            for (int port = HIGHEST_RESERVED; port >= LOWEST_RESERVED; port--) {
                try {
                    return new RpcDatagramClient(new DatagramSocket(new InetSocketAddress(port)));
                } catch (BindException e) {
                    if (!String.valueOf(e.getMessage()).contains("in use")) {
                        break; // not allowed to bind reserved ports at all
                    }
                }
            }
        }
        return new RpcDatagramClient(new DatagramSocket(new InetSocketAddress(0)));
    }

    /**
     * Calls {@code program}/{@code version}/{@code procedure} at {@code server}, sending again every
     * {@code retransmit} until {@code timeout} has passed.
     *
     * @throws SocketTimeoutException no reply in time
     */
    public RpcReply call(InetSocketAddress server, int program, int version, int procedure, Consumer<XdrWriter> args,
                  Duration retransmit, Duration timeout) throws IOException {
        int id = ++xid;
        byte[] call = encodeCall(id, program, version, procedure, args);
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] buf = new byte[MAX_REPLY];
        while (true) {
            socket.send(new DatagramPacket(call, call.length, server));
            long resendAt = Math.min(deadline, System.nanoTime() + retransmit.toNanos());
            long left;
            while ((left = resendAt - System.nanoTime()) > 0) {
                socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    socket.receive(p);
                } catch (SocketTimeoutException e) {
                    break;
                }
                RpcReply reply = parse(buf, p.getLength());
                if (reply != null && reply.xid() == id) {
                    return reply;
                }
            }
            if (System.nanoTime() >= deadline) {
                throw new SocketTimeoutException("no reply from " + server + " for program " + program + " in " + timeout.toMillis() + " ms");
            }
        }
    }

    /** The local address this client sends from. */
    public InetSocketAddress localAddress() { return (InetSocketAddress) socket.getLocalSocketAddress(); }

    private static RpcReply parse(byte[] buf, int length) {
        try {
            return RpcReply.parse(Unpooled.wrappedBuffer(buf, 0, length));
        } catch (XdrDecodeException | IndexOutOfBoundsException e) {
            return null; // not a reply of ours
        }
    }

    private static byte[] encodeCall(int xid, int program, int version, int procedure, Consumer<XdrWriter> args) {
        XdrWriter w = new XdrWriter(UnpooledByteBufAllocator.DEFAULT);
        w.writeInt(xid).writeInt(Rpc.CALL).writeInt(Rpc.VERSION).writeInt(program).writeInt(version).writeInt(procedure)
                .writeInt(Rpc.AUTH_NONE).writeInt(0).writeInt(Rpc.AUTH_NONE).writeInt(0);
        if (args != null) {
            args.accept(w);
        }
        ByteBuf b = w.finish();
        try {
            byte[] out = new byte[b.readableBytes()];
            b.readBytes(out);
            return out;
        } finally {
            b.release();
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
