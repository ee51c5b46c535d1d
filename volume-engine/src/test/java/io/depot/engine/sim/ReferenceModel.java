package io.depot.engine.sim;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the pool must contain, as the simulation believes it: every live volume with its sectors
 * and snapshots, and which volume performed each write (to name the source of a foreign read).
 */
final class ReferenceModel {
    final TreeMap<String, VolumeModel> volumes = new TreeMap<>();
    /** Write number -> id of the volume that wrote it; shared by all copies (it only grows). */
    final Map<Long, Long> writers;

    ReferenceModel() {
        this.writers = new HashMap<>();
    }

    private ReferenceModel(Map<Long, Long> writers) {
        this.writers = writers;
    }

    ReferenceModel copy() {
        ReferenceModel m = new ReferenceModel(writers);
        volumes.forEach((n, v) -> m.volumes.put(n, v.copy()));
        return m;
    }

    VolumeModel volume(String name) {
        VolumeModel v = volumes.get(name);
        if (v == null) {
            throw new IllegalStateException("model has no volume " + name);
        }
        return v;
    }

    void promoteAll() {
        volumes.values().forEach(VolumeModel::promote);
    }
}
