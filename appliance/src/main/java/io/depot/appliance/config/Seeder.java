package io.depot.appliance.config;

import io.depot.appliance.Sizes;
import io.depot.appliance.config.DepotConfig.ChapSeed;
import io.depot.appliance.config.DepotConfig.LunSeed;
import io.depot.appliance.config.DepotConfig.TargetSeed;
import io.depot.appliance.config.DepotConfig.VolumeSeed;
import io.depot.engine.EngineException;
import io.depot.engine.NoSuchVolumeException;
import io.depot.engine.Pool;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import io.depot.iscsi.IscsiService;
import io.depot.iscsi.config.TargetSpec.ChapSpec;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the volumes and iSCSI targets the configuration file lists, when the pool has none of that
 * name. The pool's state wins over the file: an existing object is left as it is (what was changed
 * through the API stays changed), and a difference is logged so the operator can see it. NFS exports
 * follow the same rule inside the gateway (io.depot.nfs.nfs3.NfsExportTable). A seed that cannot be
 * made (a LUN naming a volume that does not exist, a bad IQN) stops the start with a
 * {@link ConfigException} naming its key.
 */
public final class Seeder {
    private static final Logger log = LoggerFactory.getLogger(Seeder.class);

    private Seeder() {}

    public static void volumes(Pool pool, List<VolumeSeed> seeds) {
        for (int i = 0; i < seeds.size(); i++) {
            VolumeSeed s = seeds.get(i);
            Volume existing = existing(pool, s.name());
            if (existing != null) {
                if (existing.sizeBytes() != s.size().bytes()) {
                    log.warn("config: volume {} exists with size {}; the file's size {} is not applied (the pool's state wins; "
                            + "resize with 'depot volume resize')", s.name(), Sizes.format(existing.sizeBytes()), s.size());
                }
                continue;
            }
            try {
                pool.createVolume(s.name(), s.size().bytes());
            } catch (EngineException | IllegalArgumentException e) {
                throw new ConfigException("config: volumes[" + i + "] (" + s.name() + "): cannot create it: " + e.getMessage(), e);
            }
            log.info("config: created volume {} ({})", s.name(), s.size());
        }
    }

    /** Before the target starts listening, so no initiator sees a half-made target. */
    public static void targets(Pool pool, IscsiService iscsi, List<TargetSeed> seeds) {
        for (int i = 0; i < seeds.size(); i++) {
            TargetSeed t = seeds.get(i);
            String key = "iscsi.targets[" + i + "] (" + t.name() + ")";
            if (iscsi.targets().stream().anyMatch(x -> x.name().equals(t.name()))) {
                log.info("config: iSCSI target {} exists; kept as the pool has it", t.name());
                continue;
            }
            // resolve every LUN first, so a missing volume stops the start before anything is made
            List<Object> backing = new java.util.ArrayList<>();
            for (int j = 0; j < t.luns().size(); j++) {
                backing.add(resolve(pool, t.luns().get(j), key + ".luns[" + j + "]"));
            }
            boolean made = false;
            try {
                iscsi.createTarget(t.name(), t.alias());
                made = true;
                for (int j = 0; j < t.luns().size(); j++) {
                    long lun = t.luns().get(j).lun();
                    if (backing.get(j) instanceof Snapshot s) {
                        iscsi.mapSnapshot(t.name(), lun, s);
                    } else {
                        iscsi.mapVolume(t.name(), lun, (Volume) backing.get(j));
                    }
                }
                if (!t.initiators().isEmpty()) {
                    iscsi.setAllowedInitiators(t.name(), t.initiators());
                }
                ChapSeed c = t.chap();
                if (c != null) {
                    iscsi.setChap(t.name(), new ChapSpec(c.user(), c.secret()),
                            c.mutualUser() == null ? null : new ChapSpec(c.mutualUser(), c.mutualSecret()));
                }
            } catch (EngineException | IllegalArgumentException e) {
                if (made) { // all or nothing: a half-made target would be kept as "existing" at the next start
                    iscsi.deleteTarget(t.name());
                }
                throw new ConfigException("config: " + key + ": " + e.getMessage(), e);
            }
            log.info("config: created iSCSI target {} with {} LUN(s)", t.name(), t.luns().size());
        }
    }

    /** The volume, or the snapshot, a LUN seed names. */
    private static Object resolve(Pool pool, LunSeed l, String key) {
        Volume v = existing(pool, l.volumeName());
        if (v == null) {
            throw new ConfigException("config: " + key + ": no volume named " + l.volumeName()
                    + " (list it under volumes:, or create it with 'depot volume create')");
        }
        if (l.snapshotName() == null) {
            return v;
        }
        try {
            return v.snapshot(l.snapshotName());
        } catch (EngineException e) {
            throw new ConfigException("config: " + key + ": volume " + v.name() + " has no snapshot " + l.snapshotName(), e);
        }
    }

    private static Volume existing(Pool pool, String name) {
        try {
            return pool.volume(name);
        } catch (NoSuchVolumeException e) {
            return null;
        }
    }
}
