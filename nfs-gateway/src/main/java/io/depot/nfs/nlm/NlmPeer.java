package io.depot.nfs.nlm;

import io.depot.nfs.portmap.Portmap;
import io.depot.nfs.portmap.PortmapClient;
import io.depot.nfs.rpc.Rpc;
import io.depot.nfs.rpc.RpcClient;
import io.depot.nfs.rpc.RpcReply;
import io.depot.nfs.xdr.XdrWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * Calls a client's lock manager: NLM_GRANTED for a blocked lock now held, and the *_RES answers
 * to its *_MSG calls. The client's NLM port is asked from its portmapper (TCP mapping first, then
 * UDP, for the NLM version the client used), and the call goes over that protocol. One call per
 * connection or datagram, blocking: callbacks are rare and run on their own threads.
 */
final class NlmPeer {
    private static final int MAX_DATAGRAM = 8192;

    private final int portmapperPort;
    private final Duration timeout;

    NlmPeer(int portmapperPort, Duration timeout) {
        this.portmapperPort = portmapperPort;
        this.timeout = timeout;
    }

    /** Calls {@code procedure} of NLM {@code version} on {@code host}; IOException when it cannot be reached or does not answer. */
    RpcReply call(InetAddress host, int version, int procedure, Consumer<XdrWriter> args) throws IOException {
        int tcp;
        int udp = 0;
        try (PortmapClient pm = PortmapClient.connect(new InetSocketAddress(host, portmapperPort), timeout)) {
            tcp = pm.getPort(Nlm.PROGRAM, version, Portmap.IPPROTO_TCP);
            if (tcp == 0) {
                udp = pm.getPort(Nlm.PROGRAM, version, Portmap.IPPROTO_UDP);
            }
        }
        if (tcp != 0) {
            try (RpcClient c = RpcClient.connect(new InetSocketAddress(host, tcp), timeout)) {
                return c.call(Nlm.PROGRAM, version, procedure, args);
            }
        }
        if (udp != 0) {
            return callUdp(new InetSocketAddress(host, udp), version, procedure, args);
        }
        throw new IOException(host.getHostAddress() + " has no NLM v" + version + " registered with its portmapper");
    }

    /** One call in one datagram (AUTH_NONE), waiting for the reply with the same xid. */
    private RpcReply callUdp(InetSocketAddress to, int version, int procedure, Consumer<XdrWriter> args) throws IOException {
        int xid = ThreadLocalRandom.current().nextInt();
        XdrWriter w = new XdrWriter(UnpooledByteBufAllocator.DEFAULT);
        w.writeInt(xid).writeInt(Rpc.CALL).writeInt(Rpc.VERSION).writeInt(Nlm.PROGRAM).writeInt(version).writeInt(procedure)
                .writeInt(Rpc.AUTH_NONE).writeInt(0).writeInt(Rpc.AUTH_NONE).writeInt(0);
        args.accept(w);
        ByteBuf body = w.finish();
        byte[] call = new byte[body.readableBytes()];
        body.readBytes(call);
        body.release();
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.connect(to);
            socket.send(new DatagramPacket(call, call.length));
            long deadline = System.nanoTime() + timeout.toNanos();
            byte[] buf = new byte[MAX_DATAGRAM];
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new SocketTimeoutException("no reply from " + to + " within " + timeout.toMillis() + " ms");
                }
                socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                RpcReply reply;
                try {
                    reply = RpcReply.parse(Unpooled.wrappedBuffer(buf, 0, p.getLength()));
                } catch (RuntimeException malformed) {
                    continue;
                }
                if (reply.xid() == xid) {
                    return reply;
                }
            }
        }
    }
}
