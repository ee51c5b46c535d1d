package io.depot.engine.stress;

import io.depot.engine.FlattenJob;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A linked or full clone: its {@link VolumeModel} starts as the origin snapshot's frozen contents.
 * I/O holds {@link #lifecycle} shared and deletion holds it exclusively, so no actor uses a handle
 * the test itself has deleted (the engine's own refusal is checked separately).
 */
final class CloneModel {
    final VolumeModel model;
    final SnapshotModel origin;
    final boolean full;
    final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    volatile FlattenJob job;
    volatile boolean deleted;
    /** A full clone whose flatten the test saw complete: independent of its origin from then on. */
    volatile boolean flattened;

    CloneModel(VolumeModel model, SnapshotModel origin, boolean full, FlattenJob job) {
        this.model = model;
        this.origin = origin;
        this.full = full;
        this.job = job;
    }

    String label() { return (full ? "full clone " : "linked clone ") + model.name + " of " + origin.volume.name + "@" + origin.name; }
}
