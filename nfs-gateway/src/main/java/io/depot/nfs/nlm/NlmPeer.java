package io.depot.nfs.nlm;

import io.depot.nfs.portmap.Portmap;
import io.depot.nfs.portmap.PortmapClient;
import io.depot.nfs.rpc.RpcClient;
import io.depot.nfs.rpc.RpcDatagramClient;
import io.depot.nfs.rpc.RpcReply;
import io.depot.nfs.xdr.XdrWriter;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Calls a client's lock manager: NLM_GRANTED for a blocked lock now held, and the *_RES answers
 * to its *_MSG calls. The client's NLM port is asked from its portmapper (TCP mapping first, then
 * UDP, for the NLM version the client used), and the call goes over that protocol. One call per
 * connection or datagram, blocking: callbacks are rare and run on their own threads.
 */
final class NlmPeer {
    private static final Duration RETRANSMIT = Duration.ofSeconds(1);

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

    /** One call over UDP (AUTH_NONE), sent again each second until the reply with its xid arrives or the timeout passes. */
    private RpcReply callUdp(InetSocketAddress to, int version, int procedure, Consumer<XdrWriter> args) throws IOException {
        try (RpcDatagramClient udp = RpcDatagramClient.open(false)) {
            return udp.call(to, Nlm.PROGRAM, version, procedure, args, RETRANSMIT, timeout);
        }
    }
}
