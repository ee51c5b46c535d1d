package io.depot.engine;

import io.depot.engine.core.SnapshotRef;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A read-only point-in-time image of a volume. */
public final class Snapshot {
    private final Pool pool;
    private final SnapshotRef ref;

    Snapshot(Pool pool, SnapshotRef ref) {
        this.pool = pool;
        this.ref = ref;
    }

    SnapshotRef ref() { return ref; }

    public Volume volume() { return new Volume(pool, ref.volume()); }

    public String name() { return ref.record().name(); }

    public UUID uuid() { return ref.record().uuid(); }

    /** Size of the volume when the snapshot was taken. */
    public long sizeBytes() { return ref.record().sizeBytes(); }

    public Instant createdAt() { return Instant.ofEpochMilli(ref.record().createdMillis()); }

    /** Set when the snapshot was taken together with other volumes' as a consistency group. */
    public UUID groupId() { return ref.record().groupId(); }

    /** Reads {@code dst.remaining()} bytes at {@code offset}. */
    public void read(long offset, ByteBuffer dst) {
        ref.volume().readSnapshot(ref.epoch(), ref.record().sizeBytes(), offset, dst);
    }

    /** The bytes {@link #read} would copy, as a {@link ReadPlan} (see {@link Volume#plan}). */
    public ReadPlan plan(long offset, int length) {
        return pool.engine().reads().snapshot(ref, offset, length);
    }

    /** Writing to a snapshot is refused. */
    public void write(long offset, ByteBuffer src) {
        throw new ReadOnlyException("snapshot " + this + " is read-only");
    }

    /** Bytes that deleting this snapshot would give back to the pool. */
    public long uniqueBytes() { return pool.engine().uniqueBytes(ref); }

    /** Deletes the snapshot; refused while linked clones read through it. Returns the bytes freed. */
    public long delete() { return pool.engine().deleteSnapshot(ref); }

    /** Makes the volume's head this snapshot again; with {@code destroyNewer}, later snapshots are deleted. */
    public void rollback(boolean destroyNewer) { pool.engine().rollback(ref, destroyNewer); }

    /** A writable clone sharing every cluster it does not overwrite; the user's (see {@link VolumeOwner}). */
    public Volume linkedClone(String name) { return linkedClone(name, VolumeOwner.USER); }

    /**
     * A linked clone owned by {@code owner}: a clone does not inherit its origin's owner; pass
     * {@code volume().owner()} to keep it.
     */
    public Volume linkedClone(String name, VolumeOwner owner) {
        return new Volume(pool, pool.engine().clone(ref, name, false, owner));
    }

    /** A clone usable at once that becomes independent in the background: see {@link Volume#flattenJob()}. */
    public Volume fullClone(String name) { return fullClone(name, VolumeOwner.USER); }

    /** A full clone owned by {@code owner} (see {@link #linkedClone(String, VolumeOwner)}). */
    public Volume fullClone(String name, VolumeOwner owner) {
        return new Volume(pool, pool.engine().clone(ref, name, true, owner));
    }

    /** The extents that differ from {@code base} (an older snapshot of the same volume), or every data extent if base is null. */
    public List<Extent> changedSince(Snapshot base) {
        return pool.engine().diff(base == null ? null : base.ref, ref);
    }

    @Override
    public String toString() { return ref.volume().name() + "@" + name(); }

    @Override
    public boolean equals(Object o) { return o instanceof Snapshot s && s.uuid().equals(uuid()); }

    @Override
    public int hashCode() { return uuid().hashCode(); }
}
