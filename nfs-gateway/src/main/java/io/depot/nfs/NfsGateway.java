package io.depot.nfs;

import io.depot.engine.Pool;
import io.depot.nfs.fs.Datastore;
import io.depot.nfs.fs.ExportSnapshot;
import io.depot.nfs.fs.Inode;
import io.depot.nfs.nfs3.NfsExport;
import io.depot.nfs.mount.Mount;
import io.depot.nfs.mount.MountList;
import io.depot.nfs.mount.MountProgram;
import io.depot.nfs.nfs3.Nfs3;
import io.depot.nfs.nfs3.Nfs3Program;
import io.depot.nfs.nfs3.NfsExportTable;
import io.depot.nfs.nlm.NlmService;
import io.depot.nfs.nsm.StatusMonitor;
import io.depot.nfs.portmap.PortAdvertiser;
import io.depot.nfs.rpc.RpcServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Depot's NFSv3 service over one pool: the datastore (namespace in the pool's settings, files as
 * volumes), MOUNT, NFS, the lock manager (NLM) and the status monitor (NSM) on one TCP port (also served over UDP, for lock
 * managers that call that way), advertised through the portmapper. What the appliance and tests
 * drive:
 *
 * <pre>{@code
 * try (NfsGateway nfs = NfsGateway.start(pool, NfsGatewaySettings.defaults())) { ... }
 * }</pre>
 */
public final class NfsGateway implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NfsGateway.class);

    private final Datastore datastore;
    private final NfsExportTable exports;
    private final RpcServer server;
    private final PortAdvertiser advertiser;
    private final InetSocketAddress address;
    private final MountProgram mount;
    private final Nfs3Program nfs;
    private final NetworkLocking locking;

    private NfsGateway(Datastore datastore, NfsExportTable exports, RpcServer server, PortAdvertiser advertiser, InetSocketAddress address,
                       MountProgram mount, Nfs3Program nfs, NetworkLocking locking) {
        this.datastore = datastore;
        this.exports = exports;
        this.server = server;
        this.advertiser = advertiser;
        this.address = address;
        this.mount = mount;
        this.nfs = nfs;
        this.locking = locking;
    }

    /**
     * Opens the pool's datastore (repairing what a crash left) and its lock state, listens, and
     * advertises; throws when the port is taken. Hosts that held locks before this start get a
     * grace period to reclaim them and are told (SM_NOTIFY) to do so.
     */
    public static NfsGateway start(Pool pool, NfsGatewaySettings settings) {
        Datastore store = Datastore.open(pool);
        RpcServer server = RpcServer.builder().build();
        NetworkLocking locking = null;
        try {
            NfsExportTable exports = new NfsExportTable(store, pool.catalog(), settings.exports());
            MountProgram mount = new MountProgram(exports, new MountList(1024));
            Nfs3Program nfs = new Nfs3Program(store, exports, pool.uuid().getMostSignificantBits() ^ pool.uuid().getLeastSignificantBits());
            locking = NetworkLocking.open(pool, exports, settings.locking());
            server.register(mount.program());
            server.register(nfs.program());
            locking.register(server);
            InetSocketAddress bound = server.listen(settings.bindAddress() == null
                    ? new InetSocketAddress(settings.port()) : new InetSocketAddress(settings.bindAddress(), settings.port()));
            int port = bound.getPort();
            boolean udp = listenUdpForLockClients(server, bound);
            List<PortAdvertiser.Service> services = new ArrayList<>(List.of(
                    new PortAdvertiser.Service(Nfs3.PROGRAM, Nfs3.VERSION, "nfs", port),
                    new PortAdvertiser.Service(Mount.PROGRAM, Mount.VERSION_1, "mount", port),
                    new PortAdvertiser.Service(Mount.PROGRAM, Mount.VERSION, "mount", port)));
            services.addAll(NetworkLocking.services(port, udp));
            PortAdvertiser adv = PortAdvertiser.start(server, services, settings.portmapper());
            locking.notifyClients();
            log.info("NFSv3 gateway on {} exporting {}", bound, settings.exports().stream().map(e -> e.path()).toList());
            return new NfsGateway(store, exports, server, adv, bound, mount, nfs, locking);
        } catch (IOException e) {
            closeAll(server, locking, store);
            throw new UncheckedIOException("NFS gateway cannot listen on port " + settings.port() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeAll(server, locking, store);
            throw e;
        }
    }

    /**
     * Lock managers and status monitors call over UDP (a client's statd sends its reboot notice no
     * other way): serve every program there too, on the same port number, if it is free.
     */
    private static boolean listenUdpForLockClients(RpcServer server, InetSocketAddress tcp) {
        try {
            server.listenUdp(tcp);
            return true;
        } catch (IOException e) {
            log.warn("UDP port {} is taken ({}): NFS lock clients that call over UDP will not reach the lock manager, "
                    + "and clients' reboot notices will not reach the status monitor", tcp.getPort(), e.getMessage());
            return false;
        }
    }

    private static void closeAll(RpcServer server, NetworkLocking locking, Datastore store) {
        if (locking != null) {
            locking.close();
        }
        server.close();
        store.close();
    }

    /** Where NFS, MOUNT and NLM listen. */
    public InetSocketAddress address() { return address; }

    public PortAdvertiser.Mode portmapperMode() { return advertiser.mode(); }

    public Datastore datastore() { return datastore; }

    public MountProgram mount() { return mount; }

    public long writeVerifier() { return nfs.writeVerifier(); }

    /** Reports every executed MOUNT and NFS call to an observer for its procedure (the appliance's metrics). */
    public void observeCalls(io.depot.nfs.rpc.ProcedureObservers observers) { server.dispatcher().observe(observers); }

    /** The RPC server; for test code of this package only (a benchmark swaps a procedure through it). */
    RpcServer rpcServer() { return server; }

    /** The NFSv3 program served; for test code of this package only. */
    Nfs3Program nfsProgram() { return nfs; }

    // ------------------------------------------------------------------ the appliance's API

    /** The exports served now (the configured ones plus those stored in the pool). */
    public List<NfsExport> exports() { return exports.all(); }

    /** Adds or replaces an export, rules included; stored in the pool, in force for the next call. */
    public void putExport(NfsExport export) { exports.put(export); }

    /** Stops exporting {@code path}; its handles answer NFS3ERR_STALE. */
    public boolean removeExport(String path) { return exports.remove(path); }

    /** A consistent snapshot of every file of an export, then visible under {@code <export>/.snapshots/<name>/}. */
    public ExportSnapshot createExportSnapshot(String exportPath, String name) {
        return datastore.createExportSnapshot(requireExport(exportPath), name);
    }

    public void deleteExportSnapshot(String exportPath, String name) {
        datastore.deleteExportSnapshot(requireExport(exportPath), name);
    }

    public List<ExportSnapshot> listExportSnapshots(String exportPath) {
        return datastore.listExportSnapshots(requireExport(exportPath));
    }

    /** An instant copy of a file (datastore paths, e.g. "/depot/vm1.img"); see {@link Datastore#cloneFile}. */
    public Inode cloneFile(String srcPath, String dstPath, Datastore.CloneMode mode) {
        return datastore.cloneFile(srcPath, dstPath, mode);
    }

    /**
     * A new file at {@code path} (a datastore path inside an export, e.g. "/depot/disks/vm1.raw")
     * cloned from an engine snapshot; see {@link Datastore#importSnapshot}.
     */
    public Inode importSnapshot(io.depot.engine.Snapshot snapshot, String path, Datastore.CloneMode mode) {
        return datastore.importSnapshot(snapshot, path, mode);
    }

    /**
     * The lock manager: held locks and share reservations for an operator ({@link NlmService#locks},
     * {@link NlmService#lockCount} for metrics), and {@link NlmService#hostRebooted} for the status
     * monitor's SM_NOTIFY.
     */
    public NlmService locks() { return locking.locks(); }

    /** The status monitor: the client hosts recorded as holding monitored locks, and this run's state number. */
    public StatusMonitor statusMonitor() { return locking.statusMonitor(); }

    /** Who has mounted which export (MOUNT's DUMP list: advisory, a client that never unmounts stays). */
    public List<MountList.Entry> mounts() { return mount.mounts().entries(); }

    private String requireExport(String path) {
        NfsExport e = exports.find(path);
        if (e == null) {
            throw new IllegalArgumentException("no export " + path);
        }
        return e.path();
    }

    /** Stops serving, removes portmapper registrations, and stores cached file sizes. */
    @Override
    public void close() {
        advertiser.close();
        closeAll(server, locking, datastore);
    }
}
