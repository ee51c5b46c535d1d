package io.depot.appliance.daemon;

import io.depot.engine.NoSuchVolumeException;
import io.depot.engine.Pool;
import io.depot.engine.Volume;
import io.depot.engine.VolumeOwner;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.fs.Datastore;
import io.depot.iscsi.IscsiService;
import io.depot.iscsi.config.TargetSpec;
import io.depot.iscsi.config.TargetSpec.LunSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The running appliance as one object: the pool and the protocol services that are on (null when
 * off), composed by {@code depot serve} and driven by the HTTP API, the scheduler and backup import.
 * Changes go through {@link #mutate} one at a time, so a check such as "is this volume mapped on a
 * LUN?" still holds when the change it guards is made.
 */
public final class Appliance {
    private final Pool pool;
    private final IscsiService iscsi;
    private final NfsGateway nfs;
    private final Object changes = new Object();

    public Appliance(Pool pool, IscsiService iscsi, NfsGateway nfs) {
        this.pool = pool;
        this.iscsi = iscsi;
        this.nfs = nfs;
    }

    public Pool pool() { return pool; }

    /** The iSCSI service, or null when the target is off (depot serve --iscsi-portal off). */
    public IscsiService iscsiOrNull() { return iscsi; }

    /** The NFS gateway, or null when it is off (depot serve --nfs-port off). */
    public NfsGateway nfsOrNull() { return nfs; }

    /** Whether a volume holds one of the NFS gateway's files (its owner says so), which the API leaves to NFS. */
    public static boolean isNfsFileVolume(Volume v) { return v.owner().kind() == VolumeOwner.Kind.NFS_FILE; }

    /**
     * Whether {@code name} is the NFS gateway's: a volume it owns, or, while no volume has that
     * name, a name it keeps for its files' volumes (so no other volume takes a future file's).
     */
    public boolean isNfsFileVolume(String name) {
        Volume v;
        try {
            v = pool.volume(name);
        } catch (NoSuchVolumeException e) {
            return Datastore.isFileVolumeName(name);
        }
        return isNfsFileVolume(v);
    }

    /** Marker for {@link #lunsOf}: the volume's own LUNs and its snapshots' LUNs. */
    public static final UUID ANY_SNAPSHOT = new UUID(0, 0);

    /**
     * Where a volume is served, as "target/lun": with {@code snapshot} null only LUNs of the volume
     * itself, with a snapshot id only that snapshot's, with {@link #ANY_SNAPSHOT} both.
     */
    public List<String> lunsOf(UUID volume, UUID snapshot) {
        if (iscsi == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (TargetSpec t : iscsi.targets()) {
            for (LunSpec l : t.luns()) {
                boolean match = l.volume().equals(volume) && (snapshot == ANY_SNAPSHOT
                        || (snapshot == null ? l.snapshot() == null : snapshot.equals(l.snapshot())));
                if (match) {
                    out.add(t.name() + "/" + l.lun());
                }
            }
        }
        return out;
    }

    @FunctionalInterface
    public interface Change<T> {
        T run() throws Exception;
    }

    /** Runs one change of the appliance's configuration or data layout, serialised with every other. */
    public <T> T mutate(Change<T> change) throws Exception {
        synchronized (changes) {
            return change.run();
        }
    }
}
