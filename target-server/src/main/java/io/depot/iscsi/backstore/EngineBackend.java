package io.depot.iscsi.backstore;

import io.depot.engine.Extent;
import io.depot.engine.ReadOnlyException;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import java.nio.ByteBuffer;
import java.util.UUID;

/** Engine volumes (read-write) and snapshots (read-only) as block backends. */
public final class EngineBackend {
    private EngineBackend() {}

    public static BlockBackend of(Volume volume) {
        return new BlockBackend() {
            @Override public UUID uuid() { return volume.uuid(); }
            @Override public String name() { return volume.name(); }
            @Override public long sizeBytes() { return volume.sizeBytes(); }
            @Override public boolean readOnly() { return false; }
            @Override public void read(long offset, ByteBuffer dst) { volume.read(offset, dst); }
            @Override public void write(long offset, ByteBuffer src, boolean fua) { volume.write(offset, src, fua); }
            @Override public void flush() { volume.flush(); }
            @Override public void unmap(long offset, long length) { volume.unmap(offset, length); }
            @Override public void compareAndWrite(long offset, ByteBuffer expected, ByteBuffer replacement) {
                volume.compareAndWrite(offset, expected, replacement);
            }
            @Override public Extent allocationAt(long offset, long maxLength) { return volume.allocationAt(offset, maxLength); }
            @Override public String toString() { return "volume " + volume.name(); }
        };
    }

    public static BlockBackend of(Snapshot snapshot) {
        return new BlockBackend() {
            @Override public UUID uuid() { return snapshot.uuid(); }
            @Override public String name() { return snapshot.toString(); }
            @Override public long sizeBytes() { return snapshot.sizeBytes(); }
            @Override public boolean readOnly() { return true; }
            @Override public void read(long offset, ByteBuffer dst) { snapshot.read(offset, dst); }
            @Override public void write(long offset, ByteBuffer src, boolean fua) { throw denied(); }
            @Override public void flush() {}
            @Override public void unmap(long offset, long length) { throw denied(); }
            @Override public void compareAndWrite(long offset, ByteBuffer expected, ByteBuffer replacement) { throw denied(); }
            @Override public Extent allocationAt(long offset, long maxLength) {
                // Snapshots have no allocation query yet: report everything mapped, which is always safe.
                return new Extent(offset, Math.min(maxLength, snapshot.sizeBytes() - offset), true);
            }
            @Override public String toString() { return "snapshot " + snapshot; }

            private ReadOnlyException denied() { return new ReadOnlyException("snapshot " + snapshot + " is read-only"); }
        };
    }
}
