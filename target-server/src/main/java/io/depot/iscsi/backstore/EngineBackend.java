package io.depot.iscsi.backstore;

import io.depot.engine.EngineException;
import io.depot.engine.Extent;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * Engine volumes (read-write) and snapshots (read-only) as block backends. The engine's
 * exceptions stop here: every call translates them into a {@link BackstoreFailure} (a try block
 * costs nothing until something throws, so the data path is as before).
 */
public final class EngineBackend {
    private EngineBackend() {}

    public static BlockBackend of(Volume volume) {
        return new BlockBackend() {
            @Override public UUID uuid() { return volume.uuid(); }
            @Override public String name() { return volume.name(); }
            @Override public long sizeBytes() { return volume.sizeBytes(); }
            @Override public boolean readOnly() { return false; }

            @Override public void read(long offset, ByteBuffer dst) {
                try {
                    volume.read(offset, dst);
                } catch (EngineException e) {
                    throw EngineErrors.translate(e);
                }
            }

            @Override public void write(long offset, ByteBuffer src, boolean fua) {
                try {
                    volume.write(offset, src, fua);
                } catch (EngineException e) {
                    throw EngineErrors.translate(e);
                }
            }

            @Override public void flush() {
                try {
                    volume.flush();
                } catch (EngineException e) {
                    throw EngineErrors.translate(e);
                }
            }

            @Override public void unmap(long offset, long length) {
                try {
                    volume.unmap(offset, length);
                } catch (EngineException e) {
                    throw EngineErrors.translate(e);
                }
            }

            @Override public void compareAndWrite(long offset, ByteBuffer expected, ByteBuffer replacement) {
                try {
                    volume.compareAndWrite(offset, expected, replacement);
                } catch (EngineException e) {
                    throw EngineErrors.translate(e);
                }
            }

            @Override public Extent allocationAt(long offset, long maxLength) {
                try {
                    return volume.allocationAt(offset, maxLength);
                } catch (EngineException e) {
                    throw EngineErrors.translate(e);
                }
            }

            @Override public String toString() { return "volume " + volume.name(); }
        };
    }

    public static BlockBackend of(Snapshot snapshot) {
        return new BlockBackend() {
            @Override public UUID uuid() { return snapshot.uuid(); }
            @Override public String name() { return snapshot.toString(); }
            @Override public long sizeBytes() { return snapshot.sizeBytes(); }
            @Override public boolean readOnly() { return true; }

            @Override public void read(long offset, ByteBuffer dst) {
                try {
                    snapshot.read(offset, dst);
                } catch (EngineException e) {
                    throw EngineErrors.translate(e);
                }
            }

            @Override public void write(long offset, ByteBuffer src, boolean fua) { throw denied(); }
            @Override public void flush() {}
            @Override public void unmap(long offset, long length) { throw denied(); }
            @Override public void compareAndWrite(long offset, ByteBuffer expected, ByteBuffer replacement) { throw denied(); }
            @Override public Extent allocationAt(long offset, long maxLength) {
                // Snapshots have no allocation query yet: report everything mapped, which is always safe.
                return new Extent(offset, Math.min(maxLength, snapshot.sizeBytes() - offset), true);
            }
            @Override public String toString() { return "snapshot " + snapshot; }

            private BackstoreFailure denied() { return BackstoreFailure.of(BackstoreFailure.Reason.READ_ONLY, null); }
        };
    }
}
