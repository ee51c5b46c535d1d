package io.depot.engine;

/**
 * Hands each volume its {@link VolumeIoObserver}: asked once when the volume appears (pool open,
 * create, clone) or takes a new name or owner, and told when the observer is no longer used
 * (delete, or the old name or owner of a rename or adoption). Called under the pool's
 * administrative lock, never on the I/O path.
 */
public interface VolumeIoObservers {
    /** The observer of the volume {@code volumeName}, which belongs to {@code owner}. */
    VolumeIoObserver open(String volumeName, VolumeOwner owner);

    void close(VolumeIoObserver observer);

    VolumeIoObservers NONE = new VolumeIoObservers() {
        @Override public VolumeIoObserver open(String volumeName, VolumeOwner owner) { return VolumeIoObserver.NONE; }

        @Override public void close(VolumeIoObserver observer) {}
    };
}
