package io.depot.engine.core;

import io.depot.engine.PoolFormatException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.UUID;

/** The persisted records of pools, volumes and snapshots, each with a format version byte. */
public final class Records {
    private static final int FORMAT = 1;

    private Records() {}

    /** Pool-wide settings fixed at creation (capacity may grow). */
    public record PoolRecord(UUID uuid, int clusterSize, long capacityBytes, long nextVolumeId, long createdMillis) {
        public byte[] encode() {
            return write(out -> {
                out.writeLong(uuid.getMostSignificantBits());
                out.writeLong(uuid.getLeastSignificantBits());
                out.writeInt(clusterSize);
                out.writeLong(capacityBytes);
                out.writeLong(nextVolumeId);
                out.writeLong(createdMillis);
            });
        }

        public static PoolRecord decode(byte[] b) {
            return read(b, in -> new PoolRecord(new UUID(in.readLong(), in.readLong()), in.readInt(),
                    in.readLong(), in.readLong(), in.readLong()));
        }

        public PoolRecord withNextVolumeId(long next) {
            return new PoolRecord(uuid, clusterSize, capacityBytes, next, createdMillis);
        }

        public PoolRecord withCapacity(long bytes) {
            return new PoolRecord(uuid, clusterSize, bytes, nextVolumeId, createdMillis);
        }
    }

    /**
     * A volume. {@code epoch} is the birth epoch of its next writes; {@code originVolume}/{@code originEpoch}
     * name the snapshot a linked clone reads through to (0/0 when it has none).
     */
    public record VolumeRecord(long id, UUID uuid, String name, long sizeBytes, long epoch,
                               long originVolume, long originEpoch, boolean flattening, long createdMillis) {
        public byte[] encode() {
            return write(out -> {
                out.writeLong(id);
                out.writeLong(uuid.getMostSignificantBits());
                out.writeLong(uuid.getLeastSignificantBits());
                out.writeUTF(name);
                out.writeLong(sizeBytes);
                out.writeLong(epoch);
                out.writeLong(originVolume);
                out.writeLong(originEpoch);
                out.writeBoolean(flattening);
                out.writeLong(createdMillis);
            });
        }

        public static VolumeRecord decode(byte[] b) {
            return read(b, in -> new VolumeRecord(in.readLong(), new UUID(in.readLong(), in.readLong()), in.readUTF(),
                    in.readLong(), in.readLong(), in.readLong(), in.readLong(), in.readBoolean(), in.readLong()));
        }
    }

    /** A snapshot: the epoch it froze is in its key; it remembers the volume size at that instant. */
    public record SnapshotRecord(UUID uuid, String name, long sizeBytes, long createdMillis, UUID groupId) {
        public byte[] encode() {
            return write(out -> {
                out.writeLong(uuid.getMostSignificantBits());
                out.writeLong(uuid.getLeastSignificantBits());
                out.writeUTF(name);
                out.writeLong(sizeBytes);
                out.writeLong(createdMillis);
                out.writeBoolean(groupId != null);
                if (groupId != null) {
                    out.writeLong(groupId.getMostSignificantBits());
                    out.writeLong(groupId.getLeastSignificantBits());
                }
            });
        }

        public static SnapshotRecord decode(byte[] b) {
            return read(b, in -> new SnapshotRecord(new UUID(in.readLong(), in.readLong()), in.readUTF(), in.readLong(),
                    in.readLong(), in.readBoolean() ? new UUID(in.readLong(), in.readLong()) : null));
        }
    }

    private interface Writer { void write(DataOutputStream out) throws IOException; }

    private interface Reader<T> { T read(DataInputStream in) throws IOException; }

    private static byte[] write(Writer w) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(FORMAT);
            w.write(out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> T read(byte[] b, Reader<T> r) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
            int format = in.readUnsignedByte();
            if (format != FORMAT) {
                throw new PoolFormatException("metadata record format " + format + " is not supported (expected " + FORMAT + ")");
            }
            return r.read(in);
        } catch (IOException e) {
            throw new PoolFormatException("corrupt metadata record: " + e.getMessage(), e);
        }
    }
}
