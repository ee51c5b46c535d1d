package io.depot.engine.core;

import io.depot.engine.PoolFormatException;
import io.depot.engine.VolumeOwner;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.UUID;

/**
 * The persisted records of pools, volumes and snapshots, each with a format version byte.
 *
 * <p>Version 1 is every record written before volume owners existed. A volume record with an owner
 * other than {@link VolumeOwner#USER} is written as version 2 (version 1's fields, then the owner); a
 * user's volume is still written as version 1, so a pool that holds only user volumes stays readable
 * by older builds, while one holding owned volumes is refused by them instead of losing the owners.
 */
public final class Records {
    private static final int FORMAT = 1;
    /** Version 1 plus a trailing volume owner (kind code, reference). */
    private static final int FORMAT_OWNED = 2;

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
            return read(b, (in, format) -> new PoolRecord(new UUID(in.readLong(), in.readLong()), in.readInt(),
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
                               long originVolume, long originEpoch, boolean flattening, long createdMillis,
                               VolumeOwner owner) {
        public byte[] encode() {
            boolean owned = !owner.equals(VolumeOwner.USER);
            return write(owned ? FORMAT_OWNED : FORMAT, out -> {
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
                if (owned) {
                    out.writeByte(owner.kind().code());
                    out.writeUTF(owner.ref());
                }
            });
        }

        public static VolumeRecord decode(byte[] b) {
            return read(b, FORMAT_OWNED, (in, format) -> new VolumeRecord(in.readLong(), new UUID(in.readLong(), in.readLong()),
                    in.readUTF(), in.readLong(), in.readLong(), in.readLong(), in.readLong(), in.readBoolean(), in.readLong(),
                    format >= FORMAT_OWNED ? new VolumeOwner(VolumeOwner.Kind.ofCode(in.readUnsignedByte()), in.readUTF())
                            : VolumeOwner.USER));
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
            return read(b, (in, format) -> new SnapshotRecord(new UUID(in.readLong(), in.readLong()), in.readUTF(), in.readLong(),
                    in.readLong(), in.readBoolean() ? new UUID(in.readLong(), in.readLong()) : null));
        }
    }

    private interface Writer { void write(DataOutputStream out) throws IOException; }

    /** Reads a record's fields, knowing the version it was written in. */
    private interface Reader<T> { T read(DataInputStream in, int format) throws IOException; }

    private static byte[] write(Writer w) {
        return write(FORMAT, w);
    }

    private static byte[] write(int format, Writer w) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(format);
            w.write(out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> T read(byte[] b, Reader<T> r) {
        return read(b, FORMAT, r);
    }

    /** Reads a record written in any version from 1 to {@code newest}. */
    private static <T> T read(byte[] b, int newest, Reader<T> r) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
            int format = in.readUnsignedByte();
            if (format < FORMAT || format > newest) {
                throw new PoolFormatException("metadata record format " + format + " is not supported (expected "
                        + (newest == FORMAT ? FORMAT : FORMAT + " to " + newest) + ")");
            }
            return r.read(in, format);
        } catch (IOException e) {
            throw new PoolFormatException("corrupt metadata record: " + e.getMessage(), e);
        }
    }
}
