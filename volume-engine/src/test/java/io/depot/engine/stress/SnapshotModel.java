package io.depot.engine.stress;

import io.depot.engine.Snapshot;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A snapshot and what it must hold: the volume's contents at some instant of the snapshot call
 * ({@link #taken}), fixed at its first read ({@link #frozen}) and identical at every later read.
 * Lifecycle changes (delete, clone) synchronise on this object so the model and the engine agree.
 */
final class SnapshotModel {
    final VolumeModel volume;
    final String name;
    final ReadWindow taken;
    private volatile Snapshot snapshot;
    private volatile long[] frozen;
    // guarded by this
    final Set<CloneModel> clones = new HashSet<>();
    boolean deleted;

    SnapshotModel(VolumeModel volume, String name, Snapshot snapshot, ReadWindow taken) {
        this.volume = volume;
        this.name = name;
        this.snapshot = snapshot;
        this.taken = taken;
    }

    Snapshot snapshot() { return snapshot; }

    void rebind(Snapshot s) { this.snapshot = s; }

    String label() { return "snapshot " + volume.name + "@" + name; }

    /** Identities of every sector, as first observed; null before the first {@link #verify}. */
    long[] frozen() { return frozen; }

    /**
     * Reads the whole snapshot and checks it: every sector allowed at the instant it was taken, the
     * compare-and-write range not half applied, and nothing changed since the first read.
     */
    long[] verify(String when, List<String> problems) {
        byte[] data = new byte[(int) volume.sizeSectors * SectorPayload.BYTES];
        snapshot.read(0, ByteBuffer.wrap(data));
        String view = label() + " (" + when + ")";
        long[] ids = volume.check(data, taken, view, problems);
        SectorRange atomic = volume.atomicRange;
        if (atomic != null) {
            for (long s = atomic.first() + 1; s < atomic.end(); s++) {
                if (ids[(int) s] != ids[(int) atomic.first()]) {
                    problems.add(view + ": compare-and-write range " + atomic + " is half applied: sector " + atomic.first()
                            + " holds op#" + ids[(int) atomic.first()] + " but sector " + s + " holds op#" + ids[(int) s]);
                    break;
                }
            }
        }
        long[] first = frozen;
        if (first == null) {
            frozen = ids;
            return ids;
        }
        for (int s = 0; s < ids.length; s++) {
            if (ids[s] != first[s]) {
                problems.add(view + ": sector " + s + " changed since the snapshot was first read: was "
                        + (first[s] == 0 ? "zeros" : "op#" + first[s]) + ", now " + (ids[s] == 0 ? "zeros" : "op#" + ids[s]));
                break;
            }
        }
        return ids;
    }
}
