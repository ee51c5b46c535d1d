package io.depot.nfs.nsm;

import io.depot.nfs.rpc.RpcCall;
import io.depot.nfs.rpc.RpcProgram;
import io.depot.nfs.xdr.XdrReader;
import io.depot.nfs.xdr.XdrWriter;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The NSM version 1 program (100024) over a {@link StatusMonitor}. Remote hosts use SM_NOTIFY
 * (a client that rebooted; its locks go) and SM_STAT; SM_MON, SM_UNMON, SM_UNMON_ALL and
 * SM_SIMU_CRASH are a local lock manager's requests, answered for loopback callers only (as
 * rpc.statd does since CERT CA-99.05) and refused for others. Depot is its own lock manager and
 * monitors hosts through {@link StatusMonitor#monitor}; a local caller's SM_MON registrations are
 * kept in memory and answered, and Depot makes no callbacks for them.
 */
public final class StatusMonitorProgram {
    private static final Logger log = LoggerFactory.getLogger(StatusMonitorProgram.class);

    private final StatusMonitor monitor;
    /** SM_MON registrations of local callers: (mon_name, my_id) to the private cookie. */
    private final Map<Registration, byte[]> registrations = new HashMap<>();

    /** my_id: who asked to be told (callback host, program, version, procedure). */
    private record MyId(String name, int program, int version, int procedure) {
        static MyId read(XdrReader r) {
            return new MyId(r.readString(Nsm.MAX_NAME), r.readInt(), r.readInt(), r.readInt());
        }
    }

    private record Registration(String monName, MyId by) {}

    public StatusMonitorProgram(StatusMonitor monitor) {
        this.monitor = monitor;
    }

    public RpcProgram program() {
        return RpcProgram.builder(Nsm.PROGRAM, "status")
                .procedure(Nsm.VERSION, Nsm.PROC_NULL, "NULL", (call, args, res) -> args.expectEnd())
                .procedure(Nsm.VERSION, Nsm.PROC_STAT, "STAT", this::stat)
                .nonIdempotentProcedure(Nsm.VERSION, Nsm.PROC_MON, "MON", this::mon)
                .nonIdempotentProcedure(Nsm.VERSION, Nsm.PROC_UNMON, "UNMON", this::unmon)
                .nonIdempotentProcedure(Nsm.VERSION, Nsm.PROC_UNMON_ALL, "UNMON_ALL", this::unmonAll)
                .nonIdempotentProcedure(Nsm.VERSION, Nsm.PROC_SIMU_CRASH, "SIMU_CRASH", this::simuCrash)
                .procedure(Nsm.VERSION, Nsm.PROC_NOTIFY, "NOTIFY", this::notify)
                .build();
    }

    private static boolean local(RpcCall call) {
        return call.remote().getAddress().isLoopbackAddress();
    }

    private static String from(RpcCall call) {
        return call.remote().getAddress().getHostAddress();
    }

    /** SM_STAT: sm_name -> sm_stat_res. We monitor any host a lock manager names; no lookup is made. */
    private void stat(RpcCall call, XdrReader args, XdrWriter res) {
        args.readString(Nsm.MAX_NAME);
        args.expectEnd();
        res.writeInt(Nsm.STAT_SUCC).writeInt(monitor.state());
    }

    /** SM_MON: mon {mon_id {mon_name, my_id}, priv[16]} -> sm_stat_res. */
    private void mon(RpcCall call, XdrReader args, XdrWriter res) {
        String monName = args.readString(Nsm.MAX_NAME);
        MyId by = MyId.read(args);
        byte[] priv = args.readFixedOpaque(Nsm.PRIV_SIZE);
        args.expectEnd();
        if (!local(call)) {
            log.warn("NSM: SM_MON for {} from non-local host {} refused (only a lock manager on this host may ask)", monName, from(call));
            res.writeInt(Nsm.STAT_FAIL).writeInt(-1);
            return;
        }
        if (monName.isEmpty() || monName.indexOf('/') >= 0 || monName.startsWith(".")) {
            log.warn("NSM: SM_MON for malformed host name '{}' refused", monName);
            res.writeInt(Nsm.STAT_FAIL).writeInt(-1);
            return;
        }
        synchronized (registrations) {
            registrations.put(new Registration(MonitoredHost.normalise(monName), by), priv);
        }
        res.writeInt(Nsm.STAT_SUCC).writeInt(monitor.state());
    }

    /** SM_UNMON: mon_id -> sm_stat. */
    private void unmon(RpcCall call, XdrReader args, XdrWriter res) {
        String monName = args.readString(Nsm.MAX_NAME);
        MyId by = MyId.read(args);
        args.expectEnd();
        if (!local(call)) {
            log.warn("NSM: SM_UNMON for {} from non-local host {} refused", monName, from(call));
        } else {
            synchronized (registrations) {
                registrations.remove(new Registration(MonitoredHost.normalise(monName), by));
            }
        }
        res.writeInt(monitor.state());
    }

    /** SM_UNMON_ALL: my_id -> sm_stat. */
    private void unmonAll(RpcCall call, XdrReader args, XdrWriter res) {
        MyId by = MyId.read(args);
        args.expectEnd();
        if (!local(call)) {
            log.warn("NSM: SM_UNMON_ALL from non-local host {} refused", from(call));
        } else {
            synchronized (registrations) {
                registrations.keySet().removeIf(r -> r.by().equals(by));
            }
        }
        res.writeInt(monitor.state());
    }

    /** SM_SIMU_CRASH: void -> void. */
    private void simuCrash(RpcCall call, XdrReader args, XdrWriter res) {
        args.expectEnd();
        if (!local(call)) {
            log.warn("NSM: SM_SIMU_CRASH from non-local host {} refused", from(call));
            return;
        }
        int state = monitor.simulateCrash();
        log.info("NSM: SM_SIMU_CRASH from a local caller: state now {}; Depot's lock manager keeps its locks, so no host is told", state);
    }

    /** SM_NOTIFY: stat_chge {mon_name, state} -> void. A host's status monitor tells us it restarted. */
    private void notify(RpcCall call, XdrReader args, XdrWriter res) {
        String monName = args.readString(Nsm.MAX_NAME);
        int state = args.readInt();
        args.expectEnd();
        monitor.rebooted(monName, state, call.remote());
    }

    /** How many SM_MON registrations local callers hold (tests and diagnostics). */
    int localRegistrations() {
        synchronized (registrations) {
            return registrations.size();
        }
    }

    /** The cookie a local caller registered for {@code monName}, or null (tests). */
    byte[] registeredCookie(String monName) {
        synchronized (registrations) {
            return registrations.entrySet().stream().filter(e -> e.getKey().monName().equals(MonitoredHost.normalise(monName)))
                    .map(e -> Arrays.copyOf(e.getValue(), e.getValue().length)).findFirst().orElse(null);
        }
    }
}
