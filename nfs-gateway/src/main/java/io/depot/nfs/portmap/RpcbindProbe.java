package io.depot.nfs.portmap;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Tells whether the rpcbind behind a Unix socket is the portmapper our clients reach on loopback
 * port 111. A socket path shared into another network namespace (a bind-mounted /run) leads to
 * that namespace's rpcbind; registering there would advertise our ports to the wrong clients. The
 * probe: register a program in the transient range (0x40000000-0x5fffffff, RFC 5531 appendix)
 * through the socket, ask for it over TCP, remove it.
 */
final class RpcbindProbe {
    private static final int TRANSIENT_BASE = 0x40000000;
    private static final int TRANSIENT_SIZE = 0x20000000;

    private RpcbindProbe() {}

    /**
     * False only when a portmapper answers on {@code loopback} and does not see what we register
     * through {@code socket}; true when it does, or when nothing there answers as a portmapper (the
     * socket is then all we have).
     */
    static boolean sameRpcbind(RpcbindLocalClient socket, InetSocketAddress loopback, Duration timeout) throws IOException {
        try (PortmapClient tcp = connect(loopback, timeout)) {
            if (tcp == null) {
                return true;
            }
            ThreadLocalRandom random = ThreadLocalRandom.current();
            for (int attempt = 0; attempt < 3; attempt++) {
                int port = 1 + random.nextInt(65535);
                RpcbindEntry probe = new RpcbindEntry(TRANSIENT_BASE + random.nextInt(TRANSIENT_SIZE), 1, "tcp", RpcbindEntry.wildcard(port), "");
                if (!socket.set(probe)) {
                    continue; // someone's transient program: try another
                }
                try {
                    return tcp.getPort(probe.program(), probe.version(), Portmap.IPPROTO_TCP) == port;
                } finally {
                    socket.unset(probe);
                }
            }
            return true;
        }
    }

    /** A portmapper client, or null when nothing there answers as one. */
    private static PortmapClient connect(InetSocketAddress loopback, Duration timeout) {
        PortmapClient c = null;
        try {
            c = PortmapClient.connect(loopback, timeout);
            c.ping();
            return c;
        } catch (IOException e) {
            if (c != null) {
                c.close();
            }
            return null;
        }
    }
}
