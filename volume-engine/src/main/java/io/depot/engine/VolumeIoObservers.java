package io.depot.engine;

/**
 * Hands each volume its {@link VolumeIoObserver}: asked once when the volume appears (pool open,
 * create, clone) or takes a new name, and told when the observer is no longer used (delete, or
 * the old name of a rename). Called under the pool's administrative lock, never on the I/O path.
 */
public interface VolumeIoObservers {
    VolumeIoObserver open(String volumeName);

    void close(VolumeIoObserver observer);

    VolumeIoObservers NONE = new VolumeIoObservers() {
        @Override public VolumeIoObserver open(String volumeName) { return VolumeIoObserver.NONE; }

        @Override public void close(VolumeIoObserver observer) {}
    };
}
