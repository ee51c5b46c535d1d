package io.depot.nfs;

import io.depot.engine.Pool;
import io.depot.nfs.nfs3.NfsExportTable;
import io.depot.nfs.nlm.Nlm;
import io.depot.nfs.nlm.NlmService;
import io.depot.nfs.nlm.NlmSettings;
import io.depot.nfs.nsm.Nsm;
import io.depot.nfs.nsm.RebootNotifier;
import io.depot.nfs.nsm.StatusMonitor;
import io.depot.nfs.nsm.StatusMonitorProgram;
import io.depot.nfs.portmap.PortAdvertiser.Service;
import io.depot.nfs.portmap.PortAdvertiser.Transport;
import io.depot.nfs.rpc.RpcServer;
import java.util.ArrayList;
import java.util.List;

/**
 * The lock manager (NLM) and the status monitor (NSM) of one gateway, joined: a host granted a
 * monitored lock is recorded in the pool by the status monitor; a host whose SM_NOTIFY says it
 * rebooted loses its locks; after a restart the lock manager's grace period waits for the hosts
 * recorded before it, and the notifier tells those hosts to reclaim.
 *
 * <p>Order matters: the grace period begins before either program is served (no new lock slips in
 * ahead of a reclaim), and the notices go out only once both are advertised, so a client told to
 * reclaim finds a lock manager that answers.
 */
final class NetworkLocking implements AutoCloseable {
    private final StatusMonitor monitor;
    private final NlmService nlm;
    private final NlmSettings settings;
    private RebootNotifier notifier;

    private NetworkLocking(StatusMonitor monitor, NlmService nlm, NlmSettings settings) {
        this.monitor = monitor;
        this.nlm = nlm;
        this.settings = settings;
    }

    /** Opens the pool's status monitor (a new state number) and a lock manager in grace for the hosts it recorded. */
    static NetworkLocking open(Pool pool, NfsExportTable exports, NlmSettings settings) {
        StatusMonitor monitor = StatusMonitor.open(pool.catalog());
        NlmService nlm = new NlmService(exports::fileIdOf, monitor::monitor, settings);
        monitor.onReboot(nlm::hostRebooted);
        nlm.beginGracePeriod(monitor.hostsToReclaim());
        return new NetworkLocking(monitor, nlm, settings);
    }

    /** Registers NLM and NSM with the server (before it listens). */
    void register(RpcServer server) {
        server.register(nlm.program());
        server.register(new StatusMonitorProgram(monitor).program());
    }

    /** What the portmapper advertises for both, on the gateway's port, over TCP and (where served) UDP. */
    static List<Service> services(int port, boolean udp) {
        List<Service> services = new ArrayList<>();
        for (Transport t : udp ? List.of(Transport.TCP, Transport.UDP) : List.of(Transport.TCP)) {
            for (int version : List.of(Nlm.VERSION_1, Nlm.VERSION_3, Nlm.VERSION_4)) {
                services.add(new Service(Nlm.PROGRAM, version, "nlockmgr", port, t));
            }
            services.add(new Service(Nsm.PROGRAM, Nsm.VERSION, "status", port, t));
        }
        return services;
    }

    /** Tells the hosts that held locks before this start to reclaim them; in the background. */
    void notifyClients() {
        notifier = RebootNotifier.start(monitor, RebootNotifier.Settings.defaults()
                .withPortmapperPort(settings.clientPortmapperPort()));
    }

    NlmService locks() { return nlm; }

    StatusMonitor statusMonitor() { return monitor; }

    /** Stops the notices and the lock manager's callbacks; the pool must still be open (a notice may record its outcome). */
    @Override
    public void close() {
        if (notifier != null) {
            notifier.close();
        }
        nlm.close();
    }
}
