package io.depot.engine.sim;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;

/** One volume in the reference model: its sectors, its snapshots in creation order, and where it was cloned from. */
final class VolumeModel {
    final long id;                 // stamped into every sector this volume writes
    final String name;
    long sizeBytes;
    final TreeMap<Long, SectorState> sectors = new TreeMap<>();   // absent: zeros, durable
    final LinkedHashMap<String, SnapshotModel> snapshots = new LinkedHashMap<>();
    final String originVolume;     // null unless a clone
    final String originSnapshot;
    final boolean fullClone;

    VolumeModel(long id, String name, long sizeBytes, String originVolume, String originSnapshot, boolean fullClone) {
        this.id = id;
        this.name = name;
        this.sizeBytes = sizeBytes;
        this.originVolume = originVolume;
        this.originSnapshot = originSnapshot;
        this.fullClone = fullClone;
    }

    VolumeModel copy() {
        VolumeModel v = new VolumeModel(id, name, sizeBytes, originVolume, originSnapshot, fullClone);
        sectors.forEach((s, st) -> v.sectors.put(s, st.copy()));
        v.snapshots.putAll(snapshots);   // snapshot contents are immutable: shared
        return v;
    }

    boolean isClone() { return originVolume != null; }

    void write(long sector, long value) {
        sectors.computeIfAbsent(sector, s -> new SectorState(0)).write(value);
    }

    long current(long sector) {
        SectorState s = sectors.get(sector);
        return s == null ? 0 : s.current;
    }

    void promote() {
        sectors.values().forEach(SectorState::promote);
        sectors.values().removeIf(SectorState::isPlainZero);
    }

    /** The head's contents as a read sees them now (zeros omitted). */
    NavigableMap<Long, Long> currentImage() {
        TreeMap<Long, Long> image = new TreeMap<>();
        sectors.forEach((s, st) -> {
            if (st.current != 0) {
                image.put(s, st.current);
            }
        });
        return Collections.unmodifiableNavigableMap(image);
    }

    /** The head becomes exactly {@code image}, durable (rollback, clone creation, recovery). */
    void resetTo(Map<Long, Long> image) {
        sectors.clear();
        image.forEach((s, value) -> {
            if (value != 0) {
                sectors.put(s, new SectorState(value));
            }
        });
    }

    /** Forgets the sectors past a new, smaller size: they read as zeros if the volume grows again. */
    void truncate(long newSize) {
        sectors.tailMap(newSize / SectorStamp.SIZE, true).clear();
        sizeBytes = newSize;
    }

    /** Clusters holding any sector the model knows, i.e. where a read can tell something. */
    TreeSet<Long> touchedClusters(int clusterSize) {
        int perCluster = clusterSize / SectorStamp.SIZE;
        TreeSet<Long> out = new TreeSet<>();
        for (long s : sectors.keySet()) {
            out.add(s / perCluster);
        }
        return out;
    }
}
