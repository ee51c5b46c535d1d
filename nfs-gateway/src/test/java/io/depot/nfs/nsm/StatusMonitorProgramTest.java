package io.depot.nfs.nsm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.nfs.rpc.RpcDatagramClient;
import io.depot.nfs.rpc.Rpc;
import io.depot.nfs.rpc.RpcClient;
import io.depot.nfs.rpc.RpcReply;
import io.depot.nfs.rpc.RpcServer;
import io.depot.nfs.xdr.XdrReader;
import io.depot.nfs.xdr.XdrWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NSM v1 over real sockets (TCP and UDP on loopback) and a real pool. The refusal of non-local
 * callers needs a second address: {@code io.depot.nfs.NsmInteropTest} checks it in a namespace.
 */
class StatusMonitorProgramTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final byte[] COOKIE = "0123456789abcdef".getBytes();

    @TempDir
    Path tmp;
    private Pool pool;
    private StatusMonitor nsm;
    private StatusMonitorProgram program;
    private RpcServer server;
    private InetSocketAddress tcp;
    private InetSocketAddress udp;
    private RpcClient client;
    private final List<String> rebooted = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        pool = Pool.create(tmp.resolve("pool"), PoolOptions.ofCapacity(1L << 30));
        nsm = StatusMonitor.open(pool.catalog());
        nsm.onReboot(rebooted::add);
        program = new StatusMonitorProgram(nsm);
        server = RpcServer.builder().ioThreads(2).build();
        server.register(program.program());
        tcp = server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        udp = server.listenUdp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        client = RpcClient.connect(tcp, TIMEOUT);
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
        pool.close();
    }

    private RpcReply call(int proc, Consumer<XdrWriter> args) throws Exception {
        return client.call(Nsm.PROGRAM, Nsm.VERSION, proc, args);
    }

    private static void myId(XdrWriter w) {
        w.writeString("localhost").writeInt(100021).writeInt(4).writeInt(16);
    }

    private static Consumer<XdrWriter> mon(String monName) {
        return w -> {
            w.writeString(monName);
            myId(w);
            w.writeFixedOpaque(COOKIE);
        };
    }

    @Test
    void statAndMonitoringByALocalLockManagerAreAnswered() throws Exception {
        XdrReader stat = call(Nsm.PROC_STAT, w -> w.writeString("pve1")).results();
        assertEquals(Nsm.STAT_SUCC, stat.readInt());
        assertEquals(nsm.state(), stat.readInt());

        XdrReader mon = call(Nsm.PROC_MON, mon("pve1.lan")).results();
        assertEquals(Nsm.STAT_SUCC, mon.readInt());
        assertEquals(nsm.state(), mon.readInt());
        call(Nsm.PROC_MON, mon("pve2")).results();
        assertEquals(2, program.localRegistrations());
        assertArrayEquals(COOKIE, program.registeredCookie("PVE1.lan."));

        XdrReader badName = call(Nsm.PROC_MON, mon("../etc")).results();
        assertEquals(Nsm.STAT_FAIL, badName.readInt(), "a name with a slash is refused, as rpc.statd does");

        XdrReader unmon = call(Nsm.PROC_UNMON, w -> {
            w.writeString("pve1.lan");
            myId(w);
        }).results();
        assertEquals(nsm.state(), unmon.readInt());
        unmon.expectEnd();
        assertNull(program.registeredCookie("pve1.lan"));
        assertEquals(nsm.state(), call(Nsm.PROC_UNMON_ALL, StatusMonitorProgramTest::myId).results().readInt());
        assertEquals(0, program.localRegistrations());
    }

    @Test
    void simulatedCrashFromALocalCallerAdvancesTheStateDurably() throws Exception {
        int before = nsm.state();
        assertTrue(call(Nsm.PROC_SIMU_CRASH, null).success());
        assertEquals(before + 2, nsm.state());
        assertEquals(before + 2, new NsmStore(pool.catalog()).storedState());
    }

    @Test
    void aNotifyOverUdpNamingAMonitoredHostReachesTheRebootListener() throws Exception {
        nsm.monitor("pve1", new InetSocketAddress(InetAddress.getByName("127.0.0.9"), 700));
        nsm.monitor("pve2", new InetSocketAddress(InetAddress.getByName("127.0.0.10"), 700));
        try (RpcDatagramClient statd = RpcDatagramClient.open(false)) {
            RpcReply r = statd.call(udp, Nsm.PROGRAM, Nsm.VERSION, Nsm.PROC_NOTIFY, w -> w.writeString("PVE1.").writeInt(7),
                    Duration.ofSeconds(1), TIMEOUT);
            assertTrue(r.success(), r.toString());
            r.results().expectEnd();
            assertEquals(List.of("pve1"), rebooted, "the listener has run before the reply");
            statd.call(udp, Nsm.PROGRAM, Nsm.VERSION, Nsm.PROC_NOTIFY, w -> w.writeString("unknown-host").writeInt(3),
                    Duration.ofSeconds(1), TIMEOUT);
            assertEquals(List.of("pve1"), rebooted);
        }
        assertEquals(List.of("pve2"), nsm.monitoredHosts().stream().map(MonitoredHost::callerName).toList());
    }

    @Test
    void malformedArgumentsGetGarbageArgsAndTheServerStaysUp() throws Exception {
        // SM_MON cut short: mon_name and half of my_id
        assertEquals(Rpc.GARBAGE_ARGS, call(Nsm.PROC_MON, w -> w.writeString("pve1").writeString("localhost")).acceptStat());
        // a name longer than SM_MAXSTRLEN
        assertEquals(Rpc.GARBAGE_ARGS, call(Nsm.PROC_STAT, w -> w.writeString("x".repeat(Nsm.MAX_NAME + 1))).acceptStat());
        // SM_NOTIFY with trailing bytes, and with a length running past the end
        assertEquals(Rpc.GARBAGE_ARGS, call(Nsm.PROC_NOTIFY, w -> w.writeString("pve1").writeInt(3).writeInt(0)).acceptStat());
        assertEquals(Rpc.GARBAGE_ARGS, call(Nsm.PROC_NOTIFY, w -> w.writeInt(1000).writeInt(3)).acceptStat());
        // SM_SIMU_CRASH takes nothing
        assertEquals(Rpc.GARBAGE_ARGS, call(Nsm.PROC_SIMU_CRASH, w -> w.writeInt(1)).acceptStat());
        try (RpcDatagramClient overUdp = RpcDatagramClient.open(false)) {
            RpcReply r = overUdp.call(udp, Nsm.PROGRAM, Nsm.VERSION, Nsm.PROC_NOTIFY, w -> w.writeInt(-1),
                    Duration.ofSeconds(1), TIMEOUT);
            assertEquals(Rpc.GARBAGE_ARGS, r.acceptStat());
            assertTrue(overUdp.call(udp, Nsm.PROGRAM, Nsm.VERSION, Nsm.PROC_NULL, null, Duration.ofSeconds(1), TIMEOUT).success());
        }
        assertTrue(call(Nsm.PROC_NULL, null).success());
        assertEquals(Nsm.STAT_SUCC, call(Nsm.PROC_STAT, w -> w.writeString("pve1")).results().readInt());
        assertEquals(List.of(), rebooted);
    }
}
