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
import io.depot.nfs.nlm.HostMonitor;
import io.depot.nfs.nlm.Nlm;
import io.depot.nfs.nlm.NlmService;
import io.depot.nfs.portmap.PortAdvertiser;
import io.depot.nfs.rpc.RpcServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Depot's NFSv3 service over one pool: the datastore (namespace in the pool's settings, files as
 * volumes), MOUNT, NFS and the lock manager (NLM) on one TCP port (also served over UDP, for lock
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
    private final NlmService nlm;

    private NfsGateway(Datastore datastore, NfsExportTable exports, RpcServer server, PortAdvertiser advertiser, InetSocketAddress address,
                       MountProgram mount, Nfs3Program nfs, NlmService nlm) {
        this.datastore = datastore;
        this.exports = exports;
        this.server = server;
        this.advertiser = advertiser;
        this.address = address;
        this.mount = mount;
        this.nfs = nfs;
        this.nlm = nlm;
    }

    /** Opens the pool's datastore (repairing what a crash left), listens, and advertises; throws when the port is taken. */
    public static NfsGateway start(Pool pool, NfsGatewaySettings settings) {
        return start(pool, settings, HostMonitor.NONE, List.of());
    }

    /**
     * As {@link #start(Pool, NfsGatewaySettings)}, with a status monitor: {@code monitor} is told of
     * each host that takes a monitored lock, and the lock manager's grace period waits for
     * {@code hostsThatHeldLocks} (the hosts monitored before this start) to reclaim their locks
     * (none: no grace period). A host's reboot is reported to {@link NlmService#hostRebooted}
     * through {@link #locks()}.
     */
    public static NfsGateway start(Pool pool, NfsGatewaySettings settings, HostMonitor monitor, Collection<String> hostsThatHeldLocks) {
        Datastore store = Datastore.open(pool);
        RpcServer server = RpcServer.builder().build();
        NlmService nlm = null;
        try {
            NfsExportTable exports = new NfsExportTable(store, pool.catalog(), settings.exports());
            MountProgram mount = new MountProgram(exports, new MountList(1024));
            Nfs3Program nfs = new Nfs3Program(store, exports, pool.uuid().getMostSignificantBits() ^ pool.uuid().getLeastSignificantBits());
            nlm = new NlmService(exports::fileIdOf, monitor, settings.locking());
            // before the program is served, so no new lock slips in ahead of a reclaim
            nlm.beginGracePeriod(hostsThatHeldLocks);
            server.register(mount.program());
            server.register(nfs.program());
            server.register(nlm.program());
            InetSocketAddress bound = server.listen(settings.bindAddress() == null
                    ? new InetSocketAddress(settings.port()) : new InetSocketAddress(settings.bindAddress(), settings.port()));
            int port = bound.getPort();
            listenUdpForLockClients(server, bound);
            PortAdvertiser adv = PortAdvertiser.start(server, List.of(
                    new PortAdvertiser.Service(Nfs3.PROGRAM, Nfs3.VERSION, "nfs", port),
                    new PortAdvertiser.Service(Mount.PROGRAM, Mount.VERSION_1, "mount", port),
                    new PortAdvertiser.Service(Mount.PROGRAM, Mount.VERSION, "mount", port),
                    new PortAdvertiser.Service(Nlm.PROGRAM, Nlm.VERSION_1, "nlockmgr", port),
                    new PortAdvertiser.Service(Nlm.PROGRAM, Nlm.VERSION_3, "nlockmgr", port),
                    new PortAdvertiser.Service(Nlm.PROGRAM, Nlm.VERSION_4, "nlockmgr", port)), settings.portmapper());
            log.info("NFSv3 gateway on {} exporting {}", bound, settings.exports().stream().map(e -> e.path()).toList());
            return new NfsGateway(store, exports, server, adv, bound, mount, nfs, nlm);
        } catch (IOException e) {
            closeAll(server, nlm, store);
            throw new UncheckedIOException("NFS gateway cannot listen on port " + settings.port() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeAll(server, nlm, store);
            throw e;
        }
    }

    /** Some lock managers call over UDP: serve every program there too, on the same port number, if it is free. */
    private static void listenUdpForLockClients(RpcServer server, InetSocketAddress tcp) {
        try {
            server.listenUdp(tcp);
        } catch (IOException e) {
            log.warn("UDP port {} is taken ({}): NFS lock clients that call over UDP will not reach the lock manager",
                    tcp.getPort(), e.getMessage());
        }
    }

    private static void closeAll(RpcServer server, NlmService nlm, Datastore store) {
        server.close();
        if (nlm != null) {
            nlm.close();
        }
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
    public NlmService locks() { return nlm; }

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
        closeAll(server, nlm, datastore);
    }
}
