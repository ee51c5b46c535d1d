package io.depot.nfs.portmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.nfs.mount.Mount;
import io.depot.nfs.mount.MountList;
import io.depot.nfs.mount.MountProgram;
import io.depot.nfs.mount.TestExports;
import io.depot.nfs.rpc.Rpc;
import io.depot.nfs.rpc.RpcClient;
import io.depot.nfs.rpc.RpcServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The portmapper: the embedded one through our client and through rpcinfo (an independent
 * TI-RPC client), registration with another portmapper when the port is taken, and the
 * "nobody answers" case.
 */
class PortmapTest {
    static final Duration T = Duration.ofSeconds(10);
    static final InetAddress LO = InetAddress.getLoopbackAddress();

    @TempDir
    Path tmp;
    private RpcServer server;
    private int mountPort;
    private PortAdvertiser advertiser;

    @BeforeEach
    void start() throws IOException {
        server = RpcServer.builder().ioThreads(2).build();
        server.register(new MountProgram(new TestExports(), new MountList(100)).program());
        mountPort = server.listen(new InetSocketAddress(LO, 0)).getPort();
        advertiser = PortAdvertiser.start(server, services(mountPort), new PortAdvertiser.Config(LO, 0, tmp.resolve("no-rpcbind.sock")));
    }

    static List<PortAdvertiser.Service> services(int port) {
        return List.of(new PortAdvertiser.Service(Mount.PROGRAM, 1, "mount", port),
                new PortAdvertiser.Service(Mount.PROGRAM, 3, "mount", port));
    }

    @AfterEach
    void stop() {
        advertiser.close();
        server.close();
    }

    @Test
    void embeddedPortmapperAnswersGetportAndDump() throws IOException {
        assertEquals(PortAdvertiser.Mode.EMBEDDED, advertiser.mode());
        try (PortmapClient pm = PortmapClient.connect(advertiser.embeddedAddress(), T)) {
            pm.ping();
            assertEquals(mountPort, pm.getPort(Mount.PROGRAM, 3, Portmap.IPPROTO_TCP));
            assertEquals(0, pm.getPort(Mount.PROGRAM, 3, Portmap.IPPROTO_UDP), "we serve TCP only");
            assertEquals(0, pm.getPort(Mount.PROGRAM, 2, Portmap.IPPROTO_TCP));
            assertEquals(0, pm.getPort(100003, 3, Portmap.IPPROTO_TCP));
            List<Mapping> all = pm.dump();
            assertTrue(all.contains(new Mapping(Mount.PROGRAM, 3, Portmap.IPPROTO_TCP, mountPort)), all.toString());
            assertTrue(all.contains(new Mapping(Portmap.PROGRAM, 2, Portmap.IPPROTO_TCP, advertiser.embeddedAddress().getPort())));

            // SET from loopback, refused when another port already holds the triple; UNSET drops every protocol
            assertTrue(pm.set(new Mapping(100003, 3, Portmap.IPPROTO_TCP, 2049)));
            assertFalse(pm.set(new Mapping(100003, 3, Portmap.IPPROTO_TCP, 2050)));
            assertEquals(2049, pm.getPort(100003, 3, Portmap.IPPROTO_TCP));
            assertTrue(pm.unset(100003, 3));
            assertFalse(pm.unset(100003, 3));
            assertEquals(0, pm.getPort(100003, 3, Portmap.IPPROTO_TCP));
        }
        try (RpcClient c = RpcClient.connect(advertiser.embeddedAddress(), T)) {
            assertEquals(Rpc.PROC_UNAVAIL, c.call(Portmap.PROGRAM, 2, Portmap.PROC_CALLIT, null).acceptStat());
            assertEquals(Rpc.PROG_MISMATCH, c.call(Portmap.PROGRAM, 4, Portmap.PROC_DUMP, null).acceptStat());
            assertEquals(Rpc.GARBAGE_ARGS, c.call(Portmap.PROGRAM, 2, Portmap.PROC_GETPORT, w -> w.writeInt(1)).acceptStat());
        }
    }

    @Test
    void whenThePortIsTakenByAPortmapperWeRegisterWithItAndUnregisterOnClose() throws IOException {
        // our embedded portmapper plays the system rpcbind for a second gateway
        try (RpcServer second = RpcServer.builder().ioThreads(2).build()) {
            int port2 = second.listen(new InetSocketAddress(LO, 0)).getPort();
            List<PortAdvertiser.Service> svc = List.of(nfs(port2));
            PortAdvertiser adv2 = PortAdvertiser.start(second, svc, viaOurPortmapper());
            assertEquals(PortAdvertiser.Mode.SYSTEM_RPCBIND, adv2.mode());
            assertEquals(port2, advertiser.registry().getPort(100003, 3, Portmap.IPPROTO_TCP));
            adv2.close();
            assertEquals(0, advertiser.registry().getPort(100003, 3, Portmap.IPPROTO_TCP));
        }
    }

    @Test
    void aStaleRegistrationOfAKilledDepotIsReplacedAndTheLeftoversOfItRemoved() throws IOException {
        int pmapPort = advertiser.embeddedAddress().getPort();
        int deadPort = deadPort();
        // what a Depot killed while registered leaves: its entries, and its ledger no longer locked
        advertiser.registry().set(new Mapping(100003, 3, Portmap.IPPROTO_TCP, deadPort));
        advertiser.registry().set(new Mapping(100021, 4, Portmap.IPPROTO_UDP, deadPort));
        Files.writeString(tmp.resolve("depot-rpcbind-registrations"), "pid 1\nvia " + RegistrationLedger.viaTcp(pmapPort) + "\n"
                + "entry 100003 3 tcp " + RpcbindEntry.wildcard(deadPort) + " -\n"
                + "entry 100021 4 udp " + RpcbindEntry.wildcard(deadPort) + " -\n");
        try (RpcServer second = RpcServer.builder().ioThreads(2).build()) {
            int port2 = second.listen(new InetSocketAddress(LO, 0)).getPort();
            PortAdvertiser adv2 = PortAdvertiser.start(second, List.of(nfs(port2)),
                    viaOurPortmapper());
            assertEquals(PortAdvertiser.Mode.SYSTEM_RPCBIND, adv2.mode());
            assertEquals(port2, advertiser.registry().getPort(100003, 3, Portmap.IPPROTO_TCP));
            assertEquals(0, advertiser.registry().getPort(100021, 4, Portmap.IPPROTO_UDP), "our leftover NLM entry is removed too");
            assertTrue(Files.readString(tmp.resolve("depot-rpcbind-registrations")).contains("entry 100003 3 tcp " + RpcbindEntry.wildcard(port2)));
            adv2.close();
            assertEquals(0, advertiser.registry().getPort(100003, 3, Portmap.IPPROTO_TCP));
            assertEquals("", Files.readString(tmp.resolve("depot-rpcbind-registrations")), "nothing of ours remains registered");
        }
    }

    @Test
    void anEntryWeCannotProveOursIsLeftAloneEvenIfNothingListensThere() throws IOException {
        int deadPort = deadPort(); // from this namespace nothing listens there; the other server may listen elsewhere
        advertiser.registry().set(new Mapping(100003, 3, Portmap.IPPROTO_TCP, deadPort));
        try (RpcServer second = RpcServer.builder().ioThreads(2).build()) {
            int port2 = second.listen(new InetSocketAddress(LO, 0)).getPort();
            PortAdvertiser adv2 = PortAdvertiser.start(second, List.of(nfs(port2),
                            nlm(port2)),
                    viaOurPortmapper());
            assertEquals(PortAdvertiser.Mode.SYSTEM_RPCBIND, adv2.mode());
            assertEquals(List.of(nlm(port2)), adv2.advertised());
            assertEquals(deadPort, advertiser.registry().getPort(100003, 3, Portmap.IPPROTO_TCP));
            adv2.close();
            assertEquals(deadPort, advertiser.registry().getPort(100003, 3, Portmap.IPPROTO_TCP), "close removes only what we registered");
            assertEquals(0, advertiser.registry().getPort(100021, 4, Portmap.IPPROTO_TCP));
        }
    }

    @Test
    void aRunningDepotsEntriesAreNotTakenByASecondDepot() throws IOException {
        PortAdvertiser.Config cfg = viaOurPortmapper();
        try (RpcServer first = RpcServer.builder().ioThreads(2).build(); RpcServer second = RpcServer.builder().ioThreads(2).build()) {
            PortAdvertiser adv1 = PortAdvertiser.start(first, List.of(nfs(3001)), cfg);
            // the second cannot take the ledger the first holds: it takes free slots only
            PortAdvertiser adv2 = PortAdvertiser.start(second, List.of(nfs(3002), nlm(3002)), cfg);
            assertEquals(List.of(nlm(3002)), adv2.advertised());
            assertEquals(3001, advertiser.registry().getPort(100003, 3, Portmap.IPPROTO_TCP));
            adv2.close();
            assertEquals(3001, advertiser.registry().getPort(100003, 3, Portmap.IPPROTO_TCP));
            assertEquals(0, advertiser.registry().getPort(100021, 4, Portmap.IPPROTO_TCP));
            adv1.close();
            assertEquals(0, advertiser.registry().getPort(100003, 3, Portmap.IPPROTO_TCP));
        }
    }

    @Test
    void udpServicesAreAdvertisedAsUdpInBothModes() throws IOException {
        try (RpcServer second = RpcServer.builder().ioThreads(2).build(); RpcServer third = RpcServer.builder().ioThreads(2).build()) {
            List<PortAdvertiser.Service> nlm = List.of(new PortAdvertiser.Service(100021, 4, "nlockmgr", 4045, PortAdvertiser.Transport.UDP),
                    nlm(4046));
            List<Mapping> mappings = List.of(new Mapping(100021, 4, Portmap.IPPROTO_UDP, 4045), new Mapping(100021, 4, Portmap.IPPROTO_TCP, 4046));
            // embedded: a registry of its own
            PortAdvertiser embedded = PortAdvertiser.start(third, nlm, new PortAdvertiser.Config(LO, 0, tmp.resolve("none.sock")));
            assertEquals(PortAdvertiser.Mode.EMBEDDED, embedded.mode());
            assertTrue(embedded.registry().all().containsAll(mappings), embedded.registry().all().toString());
            // PMAPPROC_SET over TCP with IPPROTO_UDP
            PortAdvertiser adv2 = PortAdvertiser.start(second, nlm, viaOurPortmapper());
            assertEquals(nlm, adv2.advertised());
            assertTrue(advertiser.registry().all().containsAll(mappings), advertiser.registry().all().toString());
            adv2.close();
            assertTrue(advertiser.registry().all().stream().noneMatch(m -> m.program() == 100021), advertiser.registry().all().toString());
        }
    }

    @Test
    void overPortmapperV2WeDoNotUnsetWhatWouldTakeAnotherServersOtherTransportWithIt() throws IOException {
        advertiser.registry().set(new Mapping(100024, 1, Portmap.IPPROTO_UDP, 999)); // another server's statd on UDP
        try (RpcServer second = RpcServer.builder().ioThreads(2).build()) {
            PortAdvertiser adv2 = PortAdvertiser.start(second, List.of(new PortAdvertiser.Service(100024, 1, "status", 4047)),
                    viaOurPortmapper());
            assertEquals(4047, advertiser.registry().getPort(100024, 1, Portmap.IPPROTO_TCP));
            adv2.close(); // PMAPPROC_UNSET would remove the UDP entry too: ours stays, with a warning
            assertEquals(999, advertiser.registry().getPort(100024, 1, Portmap.IPPROTO_UDP));
        }
    }

    /** Config for a second gateway whose port 111 is taken by our embedded portmapper (as if by rpcbind). */
    private PortAdvertiser.Config viaOurPortmapper() {
        return new PortAdvertiser.Config(LO, advertiser.embeddedAddress().getPort(), tmp.resolve("none.sock"));
    }

    private static PortAdvertiser.Service nfs(int port) {
        return new PortAdvertiser.Service(100003, 3, "nfs", port);
    }

    private static PortAdvertiser.Service nlm(int port) {
        return new PortAdvertiser.Service(100021, 4, "nlockmgr", port);
    }

    private static int deadPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, LO)) {
            return s.getLocalPort(); // closed again: nothing listens there
        }
    }

    @Test
    void aPortHeldBySomethingElseIsReportedAsNone() throws IOException {
        try (ServerSocket squatter = new ServerSocket(0, 50, LO); RpcServer second = RpcServer.builder().ioThreads(2).build()) {
            Thread.ofVirtual().start(() -> { // accepts and hangs up, like a non-RPC service
                while (!squatter.isClosed()) {
                    try {
                        squatter.accept().close();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            PortAdvertiser adv = PortAdvertiser.start(second, services(1),
                    new PortAdvertiser.Config(LO, squatter.getLocalPort(), tmp.resolve("none.sock")));
            assertEquals(PortAdvertiser.Mode.NONE, adv.mode());
            adv.close();
        }
    }

    /**
     * rpcinfo (Debian package rpcbind) pings our services at a universal address:
     * -a 127.0.0.1.P1.P2 -T tcp PROG [VERS]. (Its -n PORT is ignored by rpcinfo 1.2.6, which
     * asks port 111 regardless.)
     */
    @Test
    void rpcinfoFromTiRpcTalksToUs() throws Exception {
        assertTrue(Files.isExecutable(Path.of("/usr/sbin/rpcinfo")) || Files.isExecutable(Path.of("/usr/bin/rpcinfo")),
                "rpcinfo is not installed (Debian package rpcbind; .ci/run installs it)");
        int pm = advertiser.embeddedAddress().getPort();
        String out = run("rpcinfo", "-a", uaddr(pm), "-T", "tcp", "100000", "2");
        assertTrue(out.contains("program 100000 version 2 ready and waiting"), out);
        // no version given: rpcinfo provokes PROG_MISMATCH and pings every version in low..high
        out = run("rpcinfo", "-a", uaddr(mountPort), "-T", "tcp", "100005");
        for (int v = 1; v <= 3; v++) {
            assertTrue(out.contains("program 100005 version " + v + " ready and waiting"), out);
        }
        out = run("rpcinfo", "-a", uaddr(mountPort), "-T", "tcp", "100099", "1");
        assertTrue(out.contains("is not available") || out.contains("Program unavailable"), out);
    }

    static String uaddr(int port) {
        return "127.0.0.1." + (port >> 8) + "." + (port & 0xff);
    }

    static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "timed out: " + String.join(" ", cmd));
        return new String(p.getInputStream().readAllBytes());
    }
}
