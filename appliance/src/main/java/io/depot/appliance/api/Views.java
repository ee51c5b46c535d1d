package io.depot.appliance.api;

import io.depot.engine.DamagedBlock;
import io.depot.engine.FlattenJob;
import io.depot.engine.PoolIntegrity;
import io.depot.engine.PoolUsage;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import io.depot.engine.VolumeOwner;
import java.util.List;
import java.util.UUID;

/** The JSON shapes of the API's resources (sizes in bytes). */
final class Views {
    private Views() {}

    /** {@code damagedBlocks}: 4 KiB blocks that failed their checksum, until cleared; {@code unverifiedClusters}: written before checksums existed. */
    record PoolView(UUID id, long capacity, long used, long free, long provisioned, double overcommit, int clusterSize,
                    int volumes, int snapshots, int damagedBlocks, long unverifiedClusters) {
        static PoolView of(io.depot.engine.Pool pool) {
            PoolUsage u = pool.usage();
            PoolIntegrity i = pool.integrity();
            return new PoolView(pool.uuid(), u.capacityBytes(), u.usedBytes(), u.freeBytes(), u.provisionedBytes(),
                    Math.round(u.overcommitRatio() * 1000) / 1000.0, u.clusterSize(), u.volumes(), u.snapshots(),
                    i.damage().size(), i.unverifiedClusters());
        }
    }

    /** One damaged 4 KiB block as first found: {@code offset} in the volume (or snapshot, null for the head) it was read through. */
    record DamagedBlockView(String volume, UUID volumeId, String snapshot, long offset, long physicalOffset, String detected,
                            String foundBy) {
        static DamagedBlockView of(DamagedBlock b) {
            return new DamagedBlockView(b.volume(), b.volumeUuid(), b.snapshot(), b.offset(), b.physicalOffset(),
                    b.detected().toString(), b.foundBy());
        }
    }

    /**
     * The pool's data integrity: {@code damagedBlocks} counts every known damaged block, {@code damage}
     * lists them (the first {@code limit}, in the order found); {@code detections} counts checksum
     * mismatches since the daemon started.
     */
    record IntegrityView(boolean degraded, int damagedBlocks, long detections, long unverifiedClusters,
                         List<DamagedBlockView> damage) {
        static IntegrityView of(PoolIntegrity i, int limit) {
            List<DamagedBlock> all = i.damage();
            return new IntegrityView(!all.isEmpty(), all.size(), i.detections(), i.unverifiedClusters(),
                    all.stream().limit(limit).map(DamagedBlockView::of).toList());
        }
    }

    /** {@code luns}: where the volume is served, "target/lun". {@code job}: its flatten job's id, if any. */
    /** {@code owner}: who the volume belongs to, {@code user} for an administrator's (see {@link OwnerView}). */
    record VolumeView(String name, UUID id, long size, long allocated, boolean linkedClone, int snapshots,
                      List<String> luns, String job, OwnerView owner) {
        static VolumeView of(Volume v, List<String> luns) {
            FlattenJob j = v.flattenJob();
            return new VolumeView(v.name(), v.uuid(), v.sizeBytes(), v.allocatedBytes(), v.isLinkedClone(),
                    v.snapshots().size(), luns, j == null ? null : v.uuid().toString(), OwnerView.of(v.owner()));
        }
    }

    /** A volume's owner: {@code kind} user, nfs-file or replica; {@code ref} the owner's own id ("" if none). */
    record OwnerView(String kind, String ref) {
        static OwnerView of(VolumeOwner o) {
            return new OwnerView(o.kind().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'), o.ref());
        }
    }

    /** {@code uniqueBytes}: what deleting it would free (only on the single-snapshot view: it costs a scan). */
    record SnapshotView(String volume, String name, UUID id, long size, String createdAt, UUID groupId, Long uniqueBytes) {
        static SnapshotView of(Snapshot s, boolean withUnique) {
            return new SnapshotView(s.volume().name(), s.name(), s.uuid(), s.sizeBytes(), s.createdAt().toString(), s.groupId(),
                    withUnique ? s.uniqueBytes() : null);
        }
    }

    /** A full clone's background copy; {@code id} is the clone's volume id. */
    record JobView(String id, String kind, String volume, String state, double progress, long doneClusters,
                   long totalClusters, String error) {
        static JobView of(Volume v, FlattenJob j) {
            String state = j.error() != null ? "failed" : j.isFinished() ? "finished" : j.isCancelled() ? "cancelled" : "running";
            return new JobView(v.uuid().toString(), "flatten", v.name(), state, Math.round(j.progress() * 10000) / 10000.0,
                    j.doneClusters(), j.totalClusters(), j.error() == null ? null : j.error().toString());
        }
    }

    record LunView(long lun, String volume, UUID volumeId, String snapshot, UUID snapshotId, boolean readOnly, boolean missing) {}

    /** CHAP shows only the user names: secrets never leave the appliance. */
    record TargetView(String name, String alias, List<LunView> luns, List<String> allowedInitiators, String chapUser,
                      String mutualChapUser) {}

    record SessionView(String initiator, String isid, String target, int tsih) {}

    record CloneView(VolumeView volume, String job) {}
}
