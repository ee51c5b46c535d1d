package io.depot.nfs.nsm;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.nfs.portmap.Mapping;
import io.depot.nfs.portmap.PortAdvertiser;
import io.depot.nfs.portmap.Portmap;
import io.depot.nfs.portmap.PortmapClient;
import io.depot.nfs.portmap.RpcbindEntry;
import io.depot.nfs.portmap.RpcbindLocalClient;
import io.depot.nfs.rpc.RpcClient;
import io.depot.nfs.rpc.RpcProgram;
import io.depot.nfs.rpc.RpcReply;
import io.depot.nfs.rpc.RpcServer;
import io.depot.nfs.xdr.XdrReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The Java side of the NSM interop scenarios ({@code nsm-netns.sh}), run in a private network
 * namespace next to Debian's rpcbind, rpc.statd and sm-notify. Commands:
 *
 * <ul>
 *   <li>{@code mon MON_NAME MY_NAME}: SM_MON to the local rpc.statd (found through rpcbind), so
 *       that statd records MON_NAME as a peer to notify when "MY_NAME" reboots.
 *   <li>{@code send POOL}: serves the lock manager's callback (NLM's SM_NOTIFY) registered with rpcbind, has
 *       statd monitor 127.0.0.1 (Depot) with it, then restarts a Depot pool that had monitored
 *       this host and runs Depot's {@link RebootNotifier}; prints statd's callback.
 *   <li>{@code serve POOL}: Depot's status monitor on the embedded portmapper (port 111), with
 *       "nsm-client.test" monitored; prints REBOOTED for each reboot notice, until stdin closes.
 *   <li>{@code probe ADDRESS}: the local-only procedures called from ADDRESS (not loopback).
 * </ul>
 */
public final class NsmInteropMain {
    static final String CLIENT_NAME = "nsm-client.test";
    /** rpc.statd calls back only the NLM program (100021), procedure 16 or 24, as Linux's lockd registers. */
    private static final int CALLBACK_PROGRAM = 100021;
    private static final int CALLBACK_VERSION = 4;
    private static final int CALLBACK_PROCEDURE = 16;
    private static final byte[] COOKIE = "depot-nsm-cookie".getBytes();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final InetSocketAddress RPCBIND = new InetSocketAddress(InetAddress.getLoopbackAddress(), Portmap.DEFAULT_PORT);

    private NsmInteropMain() {}

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "mon" -> System.out.println("MON " + monitorAtStatd(args[1], args[2]));
            case "send" -> send(Path.of(args[1]));
            case "serve" -> serve(Path.of(args[1]));
            case "probe" -> probe(InetAddress.getByName(args[1]));
            default -> throw new IllegalArgumentException(args[0]);
        }
        System.out.flush();
    }

    /** SM_MON at the local statd over TCP from loopback; returns "res=R state=S". */
    private static String monitorAtStatd(String monName, String myName) throws Exception {
        int port;
        try (PortmapClient pmap = PortmapClient.connect(RPCBIND, TIMEOUT)) {
            port = pmap.getPort(Nsm.PROGRAM, Nsm.VERSION, Portmap.IPPROTO_TCP);
        }
        try (RpcClient statd = RpcClient.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), TIMEOUT)) {
            XdrReader r = statd.call(Nsm.PROGRAM, Nsm.VERSION, Nsm.PROC_MON, w -> w.writeString(monName)
                    .writeString(myName).writeInt(CALLBACK_PROGRAM).writeInt(CALLBACK_VERSION).writeInt(CALLBACK_PROCEDURE).writeFixedOpaque(COOKIE)).results();
            return "res=" + r.readInt() + " state=" + r.readInt();
        }
    }

    private static void send(Path poolDir) throws Exception {
        CompletableFuture<String> callback = new CompletableFuture<>();
        try (RpcServer lockd = RpcServer.builder().ioThreads(2).build()) {
            // the callback statd makes to its local lock manager: status {mon_name, state, priv[16]}
            lockd.register(RpcProgram.builder(CALLBACK_PROGRAM, "callback").procedure(CALLBACK_VERSION, CALLBACK_PROCEDURE, "SM_NOTIFY_CALLBACK", (call, a, res) -> {
                String monName = a.readString(Nsm.MAX_NAME);
                int state = a.readInt();
                byte[] priv = a.readFixedOpaque(Nsm.PRIV_SIZE);
                a.expectEnd();
                callback.complete("CALLBACK mon_name=" + monName + " state=" + state + " cookie=" + (Arrays.equals(priv, COOKIE) ? "ours" : "other"));
            }).procedure(CALLBACK_VERSION, 0, "NULL", (call, a, res) -> a.expectEnd()).build());
            int port = lockd.listenUdp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).getPort();
            try (RpcbindLocalClient rpcbind = RpcbindLocalClient.connect(Path.of(Portmap.RPCBIND_SOCKET), TIMEOUT)) {
                rpcbind.set(new RpcbindEntry(CALLBACK_PROGRAM, CALLBACK_VERSION, "udp", "127.0.0.1." + (port >> 8) + "." + (port & 0xff), "nsm-test"));
            }
            System.out.println("MON " + monitorAtStatd("127.0.0.1", CLIENT_NAME));

            // Depot had granted this host a monitored lock, then restarted
            try (Pool pool = Pool.create(poolDir, PoolOptions.ofCapacity(1L << 30))) {
                StatusMonitor.open(pool.catalog()).monitor(CLIENT_NAME, new InetSocketAddress(InetAddress.getLoopbackAddress(), 799));
            }
            try (Pool pool = Pool.open(poolDir)) {
                StatusMonitor nsm = StatusMonitor.open(pool.catalog());
                System.out.println("DEPOT state=" + nsm.state() + " to-reclaim=" + nsm.hostsToReclaim());
                List<RebootNotifier.Outcome> outcomes = new CopyOnWriteArrayList<>();
                try (RebootNotifier notifier = RebootNotifier.start(nsm, RebootNotifier.Settings.defaults(), outcomes::add)) {
                    notifier.done().get(60, TimeUnit.SECONDS);
                }
                System.out.println("NOTIFIER " + outcomes);
                System.out.println(callback.get(30, TimeUnit.SECONDS));
            }
        }
    }

    private static void serve(Path poolDir) throws Exception {
        try (Pool pool = Pool.create(poolDir, PoolOptions.ofCapacity(1L << 30));
             RpcServer server = RpcServer.builder().ioThreads(2).build()) {
            StatusMonitor nsm = StatusMonitor.open(pool.catalog());
            nsm.monitor(CLIENT_NAME, new InetSocketAddress(InetAddress.getLoopbackAddress(), 799));
            nsm.onReboot(name -> {
                System.out.println("REBOOTED " + name);
                System.out.flush();
            });
            server.register(new StatusMonitorProgram(nsm).program());
            int tcp = server.listen(new InetSocketAddress(0)).getPort();
            int udp = server.listenUdp(new InetSocketAddress(0)).getPort();
            PortAdvertiser adv = PortAdvertiser.start(server, List.of(new PortAdvertiser.Service(Nsm.PROGRAM, Nsm.VERSION, "status", tcp)),
                    PortAdvertiser.Config.defaults());
            if (adv.registry() != null) {
                adv.registry().set(new Mapping(Nsm.PROGRAM, Nsm.VERSION, Portmap.IPPROTO_UDP, udp));
            }
            System.out.println("READY mode=" + adv.mode() + " state=" + nsm.state());
            System.out.flush();
            while (System.in.read() >= 0) {
                // serve until the scenario closes our input
            }
            System.out.println("MONITORED " + nsm.monitoredHosts().stream().map(MonitoredHost::callerName).toList());
        }
        System.out.println("CLOSED");
    }

    /** SM_STAT's state (after its res_stat). */
    private static int stateOf(RpcClient c) throws Exception {
        XdrReader r = c.call(Nsm.PROGRAM, Nsm.VERSION, Nsm.PROC_STAT, w -> w.writeString("x")).results();
        r.readInt();
        return r.readInt();
    }

    /** Calls the local-only procedures from {@code from} (an address that is not loopback), then checks the server still answers. */
    private static void probe(InetAddress from) throws Exception {
        int port;
        try (PortmapClient pmap = PortmapClient.connect(new InetSocketAddress(from, Portmap.DEFAULT_PORT), TIMEOUT)) {
            port = pmap.getPort(Nsm.PROGRAM, Nsm.VERSION, Portmap.IPPROTO_TCP);
        }
        try (RpcClient c = RpcClient.connect(new InetSocketAddress(from, port), new InetSocketAddress(from, 0), TIMEOUT)) {
            int before = stateOf(c);
            XdrReader mon = c.call(Nsm.PROGRAM, Nsm.VERSION, Nsm.PROC_MON, w -> w.writeString("victim").writeString("evil")
                    .writeInt(100021).writeInt(4).writeInt(16).writeFixedOpaque(COOKIE)).results();
            System.out.println("PROBE MON res=" + mon.readInt());
            RpcReply crash = c.call(Nsm.PROGRAM, Nsm.VERSION, Nsm.PROC_SIMU_CRASH, null);
            int after = stateOf(c);
            System.out.println("PROBE SIMU_CRASH " + crash + " state " + before + "->" + after);
            RpcReply garbage = c.call(Nsm.PROGRAM, Nsm.VERSION, Nsm.PROC_NOTIFY, w -> w.writeInt(4000));
            System.out.println("PROBE NOTIFY-GARBAGE " + garbage);
            System.out.println("PROBE NULL " + c.call(Nsm.PROGRAM, Nsm.VERSION, Nsm.PROC_NULL, null));
        }
    }
}
