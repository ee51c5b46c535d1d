package io.depot.nfs.nsm;

import io.depot.nfs.portmap.Portmap;
import io.depot.nfs.portmap.PortmapClient;
import io.depot.nfs.rpc.RpcClient;
import io.depot.nfs.rpc.RpcDatagramClient;
import io.depot.nfs.rpc.RpcReply;
import io.depot.nfs.xdr.XdrWriter;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells every host that held monitored locks before this start that Depot restarted, so that
 * its lock manager reclaims its locks in the grace period: SM_NOTIFY (mon_name = the name the
 * client knows Depot by, state = Depot's new state number) to the client's rpc.statd, found
 * through the client's portmapper (asked over UDP, then TCP), sent over UDP (TCP when statd has
 * no UDP port), from a reserved port when the process may bind one, as sm-notify does.
 *
 * <p>The name the client knows Depot by: the kernel client monitors the server under the host
 * part of what it mounted, usually an IP address, so by default it is the address this host
 * sends from towards that client (what the routing table picks); a configured server name
 * replaces it (set it to the DNS name clients mount).
 *
 * <p>Each host is tried in the background, never holding up the start: at once, then after 1 s,
 * 2 s, 4 s... (at most a minute apart) until {@link Settings#giveUpAfter} (15 minutes, as
 * sm-notify) has passed. Each host told is logged at info, each given up at warn.
 */
public final class RebootNotifier implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RebootNotifier.class);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration RETRANSMIT = Duration.ofSeconds(1);

    /**
     * @param serverName the name clients mount Depot by, sent as mon_name; null: the address this
     *                   host sends from towards each client
     * @param portmapperPort where clients' portmappers listen (111; tests use another)
     * @param firstRetry the wait after the first failed attempt, doubled after each one
     * @param maxRetry the longest wait between attempts
     * @param giveUpAfter how long a host is tried before it is given up
     */
    public record Settings(String serverName, int portmapperPort, Duration firstRetry, Duration maxRetry, Duration giveUpAfter) {
        public static Settings defaults() {
            return new Settings(null, Portmap.DEFAULT_PORT, Duration.ofSeconds(1), Duration.ofMinutes(1), Duration.ofMinutes(15));
        }

        public Settings withServerName(String name) {
            return new Settings(name, portmapperPort, firstRetry, maxRetry, giveUpAfter);
        }

        public Settings withPortmapperPort(int port) {
            return new Settings(serverName, port, firstRetry, maxRetry, giveUpAfter);
        }

        public Settings withRetries(Duration first, Duration max, Duration giveUp) {
            return new Settings(serverName, portmapperPort, first, max, giveUp);
        }
    }

    /** How one host's notification ended. */
    public enum Outcome { NOTIFIED, GAVE_UP, STOPPED }

    private final StatusMonitor monitor;
    private final Settings settings;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final List<Thread> threads = new ArrayList<>();
    private final CompletableFuture<Void> done;

    private RebootNotifier(StatusMonitor monitor, Settings settings, List<MonitoredHost> hosts, Consumer<Outcome> each) {
        this.monitor = monitor;
        this.settings = settings;
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (MonitoredHost h : hosts) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            all.add(f);
            threads.add(Thread.ofVirtual().name("nsm-notify-" + h.callerName()).start(() -> {
                try {
                    each.accept(notifyUntilDone(h));
                } finally {
                    f.complete(null);
                }
            }));
        }
        this.done = CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    /** Starts telling every host recorded before this start, in the background; returns at once. */
    public static RebootNotifier start(StatusMonitor monitor, Settings settings) {
        return start(monitor, settings, outcome -> { });
    }

    /** As {@link #start(StatusMonitor, Settings)}, also reporting each host's outcome (tests). */
    static RebootNotifier start(StatusMonitor monitor, Settings settings, Consumer<Outcome> each) {
        List<MonitoredHost> hosts = monitor.hostsToNotify();
        if (!hosts.isEmpty()) {
            log.info("NSM: telling {} client host(s) that Depot restarted (state {}) so they reclaim their locks",
                    hosts.size(), monitor.state());
        }
        return new RebootNotifier(monitor, settings, hosts, each);
    }

    /** Completes once every host was told, given up, or the notifier stopped. */
    public CompletableFuture<Void> done() { return done; }

    private Outcome notifyUntilDone(MonitoredHost host) {
        long deadline = System.nanoTime() + settings.giveUpAfter().toNanos();
        Duration wait = settings.firstRetry();
        String why;
        while (true) {
            why = attempt(host);
            if (why == null) {
                monitor.notifyDone(host);
                return Outcome.NOTIFIED;
            }
            log.debug("NSM: telling {} of the restart failed ({}); next try in {} ms", host.callerName(), why, wait.toMillis());
            if (System.nanoTime() + wait.toNanos() > deadline) {
                break;
            }
            try {
                if (stop.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                    return Outcome.STOPPED;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Outcome.STOPPED;
            }
            Duration doubled = wait.multipliedBy(2);
            wait = doubled.compareTo(settings.maxRetry()) > 0 ? settings.maxRetry() : doubled;
        }
        log.warn("NSM: gave up telling client {} (at {}) that Depot restarted, after {} s: {}. If that host still runs "
                + "programs that held locks on Depot, they believe they hold locks Depot no longer has; restart them (or the "
                + "host), and check that Depot reaches the host's portmapper (port {}) and rpc.statd over UDP or TCP",
                host.callerName(), String.join(", ", host.addresses()), settings.giveUpAfter().toSeconds(), why,
                settings.portmapperPort());
        monitor.notifyDone(host);
        return Outcome.GAVE_UP;
    }

    /** One try at every address of {@code host}, most recent first; null once one took the notice, else why none did. */
    private String attempt(MonitoredHost host) {
        String why = null;
        for (String address : host.addresses()) {
            if (stop.getCount() == 0) {
                return "stopped";
            }
            try {
                InetAddress peer = InetAddress.getByName(address); // a literal: no lookup
                String monName = settings.serverName() != null ? settings.serverName() : ourAddressFor(peer);
                sendNotify(peer, monName, monitor.state());
                log.info("NSM: told client {} at {} that Depot restarted (state {}, as {}); it reclaims its locks now",
                        host.callerName(), address, monitor.state(), monName);
                return null;
            } catch (IOException e) {
                why = address + ": " + e.getMessage();
            }
        }
        return why;
    }

    private static String ourAddressFor(InetAddress peer) throws IOException {
        InetAddress local = sourceAddressFor(peer);
        if (local == null) {
            throw new IOException("no route to " + peer.getHostAddress());
        }
        return local.getHostAddress();
    }

    private void sendNotify(InetAddress peer, String monName, int state) throws IOException {
        InetSocketAddress portmapper = new InetSocketAddress(peer, settings.portmapperPort());
        Consumer<XdrWriter> args = w -> w.writeString(monName).writeInt(state);
        try (RpcDatagramClient udp = RpcDatagramClient.open(true)) {
            int[] ports = statdPorts(udp, portmapper);
            if (ports[0] > 0) {
                check(udp.call(new InetSocketAddress(peer, ports[0]), Nsm.PROGRAM, Nsm.VERSION, Nsm.PROC_NOTIFY, args,
                        RETRANSMIT, CALL_TIMEOUT));
                return;
            }
            if (ports[1] > 0) {
                try (RpcClient tcp = RpcClient.connect(new InetSocketAddress(peer, ports[1]), CALL_TIMEOUT)) {
                    check(tcp.call(Nsm.PROGRAM, Nsm.VERSION, Nsm.PROC_NOTIFY, args));
                }
                return;
            }
            throw new IOException("rpc.statd (program " + Nsm.PROGRAM + ") is not registered with the portmapper at " + portmapper);
        }
    }

    /** statd's UDP and TCP ports (0: not registered), asked of the portmapper over UDP, else over TCP. */
    private static int[] statdPorts(RpcDatagramClient udp, InetSocketAddress portmapper) throws IOException {
        try {
            return new int[] {getPort(udp, portmapper, Portmap.IPPROTO_UDP), getPort(udp, portmapper, Portmap.IPPROTO_TCP)};
        } catch (IOException overUdp) {
            try (PortmapClient tcp = PortmapClient.connect(portmapper, CALL_TIMEOUT)) {
                return new int[] {tcp.getPort(Nsm.PROGRAM, Nsm.VERSION, Portmap.IPPROTO_UDP),
                        tcp.getPort(Nsm.PROGRAM, Nsm.VERSION, Portmap.IPPROTO_TCP)};
            } catch (IOException overTcp) {
                throw new IOException("its portmapper at " + portmapper + " does not answer (UDP: " + overUdp.getMessage()
                        + "; TCP: " + overTcp.getMessage() + ")");
            }
        }
    }

    private static int getPort(RpcDatagramClient udp, InetSocketAddress portmapper, int protocol) throws IOException {
        RpcReply r = check(udp.call(portmapper, Portmap.PROGRAM, Portmap.VERSION, Portmap.PROC_GETPORT,
                w -> w.writeInt(Nsm.PROGRAM).writeInt(Nsm.VERSION).writeInt(protocol).writeInt(0), RETRANSMIT, CALL_TIMEOUT));
        return r.results().readInt();
    }

    private static RpcReply check(RpcReply r) throws IOException {
        if (!r.success()) {
            throw new IOException("answered " + r);
        }
        return r;
    }

    /** Stops trying; hosts not told yet stay recorded and are tried again at the next start. */
    @Override
    public void close() {
        stop.countDown();
        for (Thread t : threads) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * The address this host sends from to reach {@code peer} (what the routing table picks): how a
     * client most likely knows us. Null when there is no route.
     */
    private static InetAddress sourceAddressFor(InetAddress peer) {
        try (DatagramSocket s = new DatagramSocket()) {
            s.connect(peer, 9); // a UDP connect sends nothing; it only picks the route
            InetAddress local = s.getLocalAddress();
            return local == null || local.isAnyLocalAddress() ? null : local;
        } catch (IOException e) {
            return null;
        }
    }

}
