package io.depot.nfs.nsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.nfs.portmap.Mapping;
import io.depot.nfs.portmap.Portmap;
import io.depot.nfs.portmap.PortmapProgram;
import io.depot.nfs.portmap.PortmapRegistry;
import io.depot.nfs.rpc.ProcedureObserver;
import io.depot.nfs.rpc.RpcServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Depot telling a client of its restart, over real sockets on loopback: the client here is a
 * second Depot status monitor behind its own portmapper (on an ephemeral port), which monitors
 * our Depot as 127.0.0.1. The real rpc.statd takes the notice in {@code io.depot.nfs.NsmInteropTest}.
 */
class RebootNotifierTest {
    @TempDir
    Path tmp;
    private final List<String> clientSawRestartOf = new CopyOnWriteArrayList<>();
    private final List<RebootNotifier.Outcome> outcomes = new CopyOnWriteArrayList<>();
    private Pool clientPool;
    private RpcServer client;
    private PortmapRegistry clientPortmap;
    private int clientPortmapPort;
    private int clientNsmPort;
    private final AtomicInteger portLookups = new AtomicInteger();

    /** The client side: a portmapper and a status monitor that monitors "depot" at 127.0.0.1. */
    @BeforeEach
    void startClient() throws Exception {
        clientPool = Pool.create(tmp.resolve("client"), PoolOptions.ofCapacity(1L << 30));
        StatusMonitor clientNsm = StatusMonitor.open(clientPool.catalog());
        clientNsm.monitor("depot", new InetSocketAddress(InetAddress.getLoopbackAddress(), 2049));
        clientNsm.onReboot(clientSawRestartOf::add);
        client = RpcServer.builder().ioThreads(2).build();
        clientPortmap = new PortmapRegistry();
        client.register(PortmapProgram.create(clientPortmap));
        client.register(new StatusMonitorProgram(clientNsm).program());
        clientPortmapPort = client.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).getPort();
        client.listenUdp(new InetSocketAddress(InetAddress.getLoopbackAddress(), clientPortmapPort));
        clientNsmPort = client.listenUdp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).getPort();
        client.dispatcher().observe((program, version, procedure) ->
                program.number() == Portmap.PROGRAM && procedure.number() == Portmap.PROC_GETPORT
                        ? nanos -> portLookups.incrementAndGet() : ProcedureObserver.NONE);
    }

    @AfterEach
    void stopClient() {
        client.close();
        clientPool.close();
    }

    /** Our Depot's pool, restarted once with {@code hosts} monitored before the restart. */
    private Pool restartedDepot(String... hosts) throws Exception {
        Path dir = tmp.resolve("depot");
        try (Pool pool = Pool.create(dir, PoolOptions.ofCapacity(1L << 30))) {
            StatusMonitor nsm = StatusMonitor.open(pool.catalog());
            for (String h : hosts) {
                nsm.monitor(h, new InetSocketAddress(InetAddress.getLoopbackAddress(), 900));
            }
        }
        return Pool.open(dir);
    }

    private RebootNotifier.Settings fast(int portmapperPort) {
        return RebootNotifier.Settings.defaults().withPortmapperPort(portmapperPort)
                .withRetries(Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(30));
    }

    @Test
    void aClientWhoseStatusMonitorIsNotYetRegisteredIsToldOnARetry() throws Exception {
        try (Pool pool = restartedDepot("client-host")) {
            StatusMonitor nsm = StatusMonitor.open(pool.catalog());
            assertEquals(Set.of("client-host"), nsm.hostsToReclaim());
            try (RebootNotifier notifier = RebootNotifier.start(nsm, fast(clientPortmapPort), outcomes::add)) {
                // the client's statd registers only after the notifier found it missing twice
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (portLookups.get() < 4 && System.nanoTime() < deadline) {
                    Thread.sleep(5); // polling a condition, with a deadline
                }
                assertTrue(portLookups.get() >= 4, "the notifier asked the client's portmapper " + portLookups.get() + " times");
                assertTrue(outcomes.isEmpty(), "not told while statd is not registered");
                clientPortmap.set(new Mapping(Nsm.PROGRAM, Nsm.VERSION, Portmap.IPPROTO_UDP, clientNsmPort));
                notifier.done().get(20, TimeUnit.SECONDS);
            }
            assertEquals(List.of(RebootNotifier.Outcome.NOTIFIED), outcomes);
            assertEquals(List.of("depot"), clientSawRestartOf, "the notice named us as the client knows us: 127.0.0.1");
            assertEquals(List.of(), nsm.hostsToNotify());
        }
        try (Pool pool = Pool.open(tmp.resolve("depot"))) {
            assertEquals(Set.of(), StatusMonitor.open(pool.catalog()).hostsToReclaim(), "told hosts are recorded again when they lock");
        }
    }

    @Test
    void aConfiguredServerNameIsSentAsTheMonitoredName() throws Exception {
        clientPortmap.set(new Mapping(Nsm.PROGRAM, Nsm.VERSION, Portmap.IPPROTO_UDP, clientNsmPort));
        try (Pool pool = restartedDepot("client-host")) {
            StatusMonitor nsm = StatusMonitor.open(pool.catalog());
            try (RebootNotifier notifier = RebootNotifier.start(nsm, fast(clientPortmapPort).withServerName("DEPOT."), outcomes::add)) {
                notifier.done().get(20, TimeUnit.SECONDS);
            }
            assertEquals(List.of(RebootNotifier.Outcome.NOTIFIED), outcomes);
            assertEquals(List.of("depot"), clientSawRestartOf);
        }
    }

    @Test
    void aClientThatNeverAnswersIsGivenUpAndForgotten() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort(); // nothing listens there once closed
        }
        try (Pool pool = restartedDepot("gone-host")) {
            StatusMonitor nsm = StatusMonitor.open(pool.catalog());
            RebootNotifier.Settings giveUpSoon = RebootNotifier.Settings.defaults().withPortmapperPort(closedPort)
                    .withRetries(Duration.ofMillis(50), Duration.ofMillis(50), Duration.ofMillis(100));
            try (RebootNotifier notifier = RebootNotifier.start(nsm, giveUpSoon, outcomes::add)) {
                notifier.done().get(30, TimeUnit.SECONDS);
            }
            assertEquals(List.of(RebootNotifier.Outcome.GAVE_UP), outcomes);
            assertEquals(List.of(), nsm.hostsToNotify());
        }
        assertTrue(clientSawRestartOf.isEmpty());
    }
}
