package io.depot.iscsi;

import io.depot.engine.NoSuchSnapshotException;
import io.depot.engine.NoSuchVolumeException;
import io.depot.engine.Pool;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import io.depot.iscsi.backstore.BlockBackend;
import io.depot.iscsi.backstore.EngineBackend;
import io.depot.iscsi.config.TargetConfigStore;
import io.depot.iscsi.config.TargetSpec;
import io.depot.iscsi.config.TargetSpec.ChapSpec;
import io.depot.iscsi.config.TargetSpec.LunSpec;
import io.depot.iscsi.fabric.IscsiServer;
import io.depot.iscsi.fabric.IscsiSettings;
import io.depot.iscsi.fabric.IscsiTarget;
import io.depot.iscsi.fabric.TargetRegistry;
import io.depot.iscsi.fabric.login.ChapSecret;
import io.depot.iscsi.scsi.DeviceIdentity;
import io.depot.iscsi.scsi.ItNexus;
import io.depot.iscsi.scsi.ScsiTarget;
import io.depot.iscsi.scsi.pr.PersistentReservations;
import io.depot.iscsi.scsi.pr.ReservationStore;
import io.depot.iscsi.scsi.xcopy.ExtendedCopy;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Depot's iSCSI service over one pool: the targets and LUN maps (persisted in the pool's
 * settings, so they survive restarts), the SCSI devices behind them with their reservations and
 * copy offload, and the server that speaks the protocol. What the appliance and tests drive.
 */
public final class IscsiService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IscsiService.class);
    /** RFC 7143 §4.2.7: iqn., eui. or naa. names of at most 223 bytes. */
    private static final Pattern NAME = Pattern.compile("(iqn\\.\\d{4}-\\d{2}\\.[a-z0-9.-]+(:.+)?|eui\\.[0-9A-Fa-f]{16}|naa\\.[0-9A-Fa-f]{16,32})");
    private static final int MAX_REGISTRATIONS = 128;

    private final Pool pool;
    private final TargetConfigStore store;
    private final TargetRegistry registry = new TargetRegistry();
    private final Map<String, TargetSpec> specs = new ConcurrentHashMap<>();
    /** Every mapped backend by its NAA designator, for EXTENDED COPY between any two Depot LUNs. */
    private final Map<ByteBuffer, BlockBackend> byNaa = new ConcurrentHashMap<>();
    private final ExtendedCopy copyOffload;
    private volatile IscsiServer server;

    public IscsiService(Pool pool) {
        this.pool = pool;
        this.store = new TargetConfigStore(pool.catalog().namespace("iscsi"));
        this.copyOffload = new ExtendedCopy(naa -> byNaa.get(ByteBuffer.wrap(naa)));
        for (TargetSpec spec : store.load()) {
            IscsiTarget target = build(spec);
            registry.add(target);
            specs.put(spec.name(), spec);
        }
        if (!specs.isEmpty()) {
            log.info("loaded {} iSCSI target(s) from pool {}", specs.size(), pool.uuid());
        }
    }

    /** Starts listening; throws with a clear message when the portal is taken. */
    public synchronized IscsiService start(IscsiSettings settings) {
        server = new IscsiServer(registry, settings).start();
        return this;
    }

    public InetSocketAddress address() { return server.address(); }

    public IscsiServer server() { return server; }

    public List<TargetSpec> targets() {
        return specs.values().stream().sorted(java.util.Comparator.comparing(TargetSpec::name)).toList();
    }

    public TargetSpec target(String name) {
        TargetSpec s = specs.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no iSCSI target named " + name);
        }
        return s;
    }

    public synchronized TargetSpec createTarget(String name, String alias) {
        if (name == null || !NAME.matcher(name).matches() || name.getBytes(StandardCharsets.UTF_8).length > 223) {
            throw new IllegalArgumentException("'" + name + "' is not a valid iSCSI name (iqn.YYYY-MM.reversed.domain[:id], eui.<16 hex>, naa.<hex>)");
        }
        if (specs.containsKey(name)) {
            throw new IllegalArgumentException("iSCSI target " + name + " already exists");
        }
        TargetSpec spec = new TargetSpec(name, alias, List.of(), null, null, List.of());
        store.save(spec);
        registry.add(build(spec));
        specs.put(name, spec);
        log.info("created iSCSI target {}", name);
        return spec;
    }

    /** Deletes a target; its sessions are dropped. */
    public synchronized void deleteTarget(String name) {
        TargetSpec spec = target(name);
        IscsiTarget t = registry.remove(name);
        if (server != null) {
            server.dropSessions(name);
        }
        ScsiTarget scsi = (ScsiTarget) t.commandLayer();
        for (LunSpec l : spec.luns()) {
            BlockBackend b = scsi.unmapLun(l.lun());
            if (b != null) {
                forgetBackend(b);
            }
        }
        store.delete(name);
        specs.remove(name);
        log.info("deleted iSCSI target {}", name);
    }

    /** Maps a volume (read-write) at a LUN. */
    public synchronized void mapVolume(String targetName, long lun, Volume volume) {
        mapLun(targetName, new LunSpec(lun, volume.uuid(), null), EngineBackend.of(volume));
    }

    /** Maps a snapshot (read-only: writes get DATA PROTECT) at a LUN. */
    public synchronized void mapSnapshot(String targetName, long lun, Snapshot snapshot) {
        mapLun(targetName, new LunSpec(lun, snapshot.volume().uuid(), snapshot.uuid()), EngineBackend.of(snapshot));
    }

    private void mapLun(String targetName, LunSpec lunSpec, BlockBackend backend) {
        TargetSpec spec = target(targetName);
        if (spec.luns().stream().anyMatch(l -> l.lun() == lunSpec.lun())) {
            throw new IllegalArgumentException("LUN " + lunSpec.lun() + " of " + targetName + " is already mapped");
        }
        ScsiTarget scsi = (ScsiTarget) registry.get(targetName).commandLayer();
        scsi.mapLun(lunSpec.lun(), backend);
        List<LunSpec> luns = new ArrayList<>(spec.luns());
        luns.add(lunSpec);
        save(new TargetSpec(spec.name(), spec.alias(), spec.allowedInitiators(), spec.chap(), spec.mutualChap(), luns));
        byNaa.put(ByteBuffer.wrap(DeviceIdentity.naa(backend.uuid())), backend);
        log.info("mapped {} at LUN {} of {}", backend, lunSpec.lun(), targetName);
    }

    public synchronized void unmapLun(String targetName, long lun) {
        TargetSpec spec = target(targetName);
        ScsiTarget scsi = (ScsiTarget) registry.get(targetName).commandLayer();
        BlockBackend b = scsi.unmapLun(lun);
        if (b == null) {
            throw new IllegalArgumentException("LUN " + lun + " of " + targetName + " is not mapped");
        }
        forgetBackend(b);
        save(new TargetSpec(spec.name(), spec.alias(), spec.allowedInitiators(), spec.chap(), spec.mutualChap(),
                spec.luns().stream().filter(l -> l.lun() != lun).toList()));
    }

    /** Initiator names allowed to log in; an empty list lets every initiator in. */
    public synchronized void setAllowedInitiators(String targetName, List<String> initiators) {
        TargetSpec spec = target(targetName);
        IscsiTarget t = registry.get(targetName);
        save(new TargetSpec(spec.name(), spec.alias(), initiators, spec.chap(), spec.mutualChap(), spec.luns()));
        t.allowedInitiators().clear();
        t.allowedInitiators().addAll(initiators);
    }

    /** One-way CHAP ({@code chap}) and optionally mutual CHAP; nulls turn them off. */
    public synchronized void setChap(String targetName, ChapSpec chap, ChapSpec mutualChap) {
        TargetSpec spec = target(targetName);
        registry.get(targetName).setChap(secret(chap), secret(mutualChap));
        save(new TargetSpec(spec.name(), spec.alias(), spec.allowedInitiators(), chap, mutualChap, spec.luns()));
    }

    private void save(TargetSpec spec) {
        store.save(spec);
        specs.put(spec.name(), spec);
    }

    private void forgetBackend(BlockBackend b) {
        byNaa.remove(ByteBuffer.wrap(DeviceIdentity.naa(b.uuid())), b);
    }

    private static ChapSecret secret(ChapSpec spec) {
        return spec == null ? null : new ChapSecret(spec.user(), spec.secret().getBytes(StandardCharsets.UTF_8));
    }

    /** Rebuilds a target from its stored description; LUNs whose volume or snapshot is gone are skipped with a warning. */
    private IscsiTarget build(TargetSpec spec) {
        String name = spec.name();
        ScsiTarget scsi = new ScsiTarget(name, (backend, sink) -> new PersistentReservations(sink,
                ReservationStore.inCatalog(pool.catalog().namespace("iscsi"), "pr/" + name + "/" + backend.uuid()),
                (requester, preempted, abort) -> {
                    if (abort) {
                        abortPreempted(name, backend, preempted);
                    }
                }, MAX_REGISTRATIONS), copyOffload);
        IscsiTarget target = new IscsiTarget(name, spec.alias(), scsi);
        target.allowedInitiators().addAll(spec.allowedInitiators());
        target.setChap(secret(spec.chap()), secret(spec.mutualChap()));
        for (LunSpec l : spec.luns()) {
            try {
                BlockBackend b = backend(l);
                scsi.mapLun(l.lun(), b);
                byNaa.put(ByteBuffer.wrap(DeviceIdentity.naa(b.uuid())), b);
            } catch (NoSuchVolumeException | NoSuchSnapshotException e) {
                log.warn("LUN {} of target {} is not served: its {} no longer exists ({}); unmap it or recreate it",
                        l.lun(), name, l.snapshot() == null ? "volume" : "snapshot", e.getMessage());
            }
        }
        return target;
    }

    private BlockBackend backend(LunSpec l) {
        Volume v = pool.volume(l.volume());
        if (l.snapshot() == null) {
            return EngineBackend.of(v);
        }
        for (Snapshot s : v.snapshots()) {
            if (s.uuid().equals(l.snapshot())) {
                return EngineBackend.of(s);
            }
        }
        throw new NoSuchSnapshotException("snapshot " + l.snapshot() + " of volume " + v.name());
    }

    /** PREEMPT AND ABORT: the preempted nexuses' tasks on this LU are aborted before the command completes. */
    private void abortPreempted(String targetName, BlockBackend backend, Set<ItNexus> preempted) {
        IscsiServer s = server;
        ScsiTarget scsi = (ScsiTarget) registry.get(targetName).commandLayer();
        if (s == null) {
            return;
        }
        for (long lun : scsi.luns()) {
            if (scsi.backend(lun) == backend) {
                s.abortTasks(preempted, lun).join();
            }
        }
    }

    /** Stops the server (sessions are dropped); the pool stays open (its owner closes it). */
    @Override
    public synchronized void close() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    /** For tests and the API: a volume's NAA designator as hypervisors show it. */
    public static String naa(UUID uuid) {
        return DeviceIdentity.naaString(uuid);
    }
}
