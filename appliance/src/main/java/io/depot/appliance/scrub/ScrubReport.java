package io.depot.appliance.scrub;

import io.depot.appliance.daemon.Appliance;
import io.depot.engine.Pool;
import io.depot.engine.ScrubFinding;
import io.depot.engine.ScrubReference;
import io.depot.engine.ScrubStatus;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import io.depot.engine.VolumeOwner;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A scrub's status as the API answers it: the engine's counters, and each damaged extent with what
 * reads it named as the operator knows it: the volume and snapshot, the NFS file path for a file
 * volume, and the iSCSI LUNs ("target/lun") serving the volume or snapshot.
 *
 * @param unverifiedClusters data written before checksums (format 1), until {@code depot pool upgrade}
 */
public record ScrubReport(String state, String mode, long clustersChecked, long bytesChecked, long clustersUnverified,
                          long clustersUpgraded, long clustersTotal, long damagedBlocks, long bandwidth, String started,
                          String ended, double durationSeconds, long unverifiedClusters, List<Damage> damaged) {

    /** A damaged extent: where it is in the data file and who reads it. */
    public record Damage(long physicalOffset, long length, List<Reader> readers) {}

    /**
     * One reader of a damaged extent.
     *
     * @param kind     the volume's owner ({@code USER}, {@code NFS_FILE}, ...)
     * @param nfsPath  the file's path in the NFS datastore, for a file volume (null otherwise or if unlinked)
     * @param luns     the LUNs serving this volume (or snapshot), as "target/lun"
     */
    public record Reader(String volume, UUID volumeUuid, String snapshot, long offset, String kind, String nfsPath, List<String> luns) {}

    public static ScrubReport of(Appliance appliance, ScrubStatus s) {
        Pool pool = appliance.pool();
        NfsPaths paths = null;
        List<Damage> damaged = new ArrayList<>();
        for (ScrubFinding f : s.findings()) {
            List<Reader> readers = new ArrayList<>();
            for (ScrubReference r : f.references()) {
                String path = null;
                if (r.owner().kind() == VolumeOwner.Kind.NFS_FILE) {
                    paths = paths != null ? paths : NfsPaths.of(pool);
                    path = paths.pathOf(r.volume());
                }
                readers.add(new Reader(r.volume(), r.volumeUuid(), r.snapshot(), r.offset(), r.owner().kind().name(), path,
                        luns(appliance, r)));
            }
            damaged.add(new Damage(f.physicalOffset(), f.length(), readers));
        }
        return new ScrubReport(s.state().name().toLowerCase(), s.mode().name().toLowerCase(), s.clustersChecked(), s.bytesChecked(),
                s.clustersUnverified(), s.clustersUpgraded(), s.clustersTotal(), s.damagedBlocks(), s.bandwidthBytesPerSecond(),
                s.started() == null ? null : s.started().toString(), s.ended() == null ? null : s.ended().toString(),
                s.duration().toMillis() / 1000.0, pool.integrity().unverifiedClusters(), damaged);
    }

    private static List<String> luns(Appliance appliance, ScrubReference r) {
        if (r.volumeUuid() == null) {
            return List.of();
        }
        if (r.snapshot() == null) {
            return appliance.lunsOf(r.volumeUuid(), null);
        }
        try {
            Volume v = appliance.pool().volume(r.volumeUuid());
            Snapshot s = v.snapshot(r.snapshot());
            return appliance.lunsOf(r.volumeUuid(), s.uuid());
        } catch (RuntimeException gone) {
            return List.of();   // deleted since the scrub
        }
    }
}
