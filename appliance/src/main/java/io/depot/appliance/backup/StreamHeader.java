package io.depot.appliance.backup;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The first bytes of a backup stream: what was exported and, for an incremental, from which base.
 * Layout in docs/backup-format.md ("Header"); every integer big-endian.
 *
 * @param baseSnapshot the snapshot an incremental stream applies on top of; null for a full stream
 */
public record StreamHeader(long volumeSize, int clusterSize, UUID sourcePool, UUID sourceVolume, UUID snapshot,
                           UUID baseSnapshot, Instant createdAt, String volumeName, String snapshotName, String baseName) {
    static final byte[] MAGIC = "DEPOTBAK".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    private static final int FLAG_INCREMENTAL = 1;
    /** Magic to the end of the creation time: the part of fixed size. */
    static final int FIXED = 100;
    /** Names are engine names (at most 128 characters); anything longer is not a header we wrote. */
    static final int MAX_LENGTH = FIXED + 3 * (2 + 512) + 4;
    private static final UUID NONE = new UUID(0, 0);

    public boolean incremental() { return baseSnapshot != null; }

    /** The header's bytes, its CRC32C last. */
    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            byte[][] names = {utf8(volumeName), utf8(snapshotName), utf8(baseName)};
            int length = FIXED + 3 * 2 + names[0].length + names[1].length + names[2].length + 4;
            out.write(MAGIC);
            out.writeShort(VERSION);
            out.writeShort(incremental() ? FLAG_INCREMENTAL : 0);
            out.writeInt(length);
            out.writeLong(volumeSize);
            out.writeInt(clusterSize);
            uuid(out, sourcePool);
            uuid(out, sourceVolume);
            uuid(out, snapshot);
            uuid(out, baseSnapshot == null ? NONE : baseSnapshot);
            out.writeLong(createdAt.toEpochMilli());
            for (byte[] n : names) {
                out.writeShort(n.length);
                out.write(n);
            }
            CRC32C crc = new CRC32C();
            crc.update(bytes.toByteArray());
            out.writeInt((int) crc.getValue());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Parses a whole header ({@code bytes} from the magic through the CRC) whose magic, version and
     * length the reader has already checked.
     */
    static StreamHeader decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        if ((int) crc.getValue() != b.getInt(bytes.length - 4)) {
            throw new BackupStreamException("the stream's header is corrupt (checksum mismatch)");
        }
        b.position(10);
        int flags = b.getShort() & 0xffff;
        b.getInt();
        long size = b.getLong();
        int cluster = b.getInt();
        UUID pool = uuid(b);
        UUID volume = uuid(b);
        UUID snap = uuid(b);
        UUID base = uuid(b);
        Instant created = Instant.ofEpochMilli(b.getLong());
        String[] names = new String[3];
        for (int i = 0; i < 3; i++) {
            int n = b.getShort() & 0xffff;
            if (n > b.remaining() - 4) {
                throw new BackupStreamException("the stream's header is malformed (a name runs past its end)");
            }
            byte[] s = new byte[n];
            b.get(s);
            names[i] = new String(s, StandardCharsets.UTF_8);
        }
        if (b.remaining() != 4) {
            throw new BackupStreamException("the stream's header is malformed (" + (b.remaining() - 4) + " unexplained bytes)");
        }
        boolean incremental = (flags & FLAG_INCREMENTAL) != 0;
        if (incremental == NONE.equals(base)) {
            throw new BackupStreamException("the stream's header is malformed (incremental flag and base snapshot disagree)");
        }
        if (size <= 0 || size % 512 != 0) {
            throw new BackupStreamException("the stream's header is malformed (volume size " + size + ")");
        }
        return new StreamHeader(size, cluster, pool, volume, snap, incremental ? base : null, created, names[0], names[1],
                incremental ? names[2] : null);
    }

    /** "vm1@nightly-2 (incremental since nightly-1)" for messages. */
    public String describe() {
        return volumeName + "@" + snapshotName + (incremental() ? " (incremental since " + baseName + ")" : " (full)");
    }

    private static byte[] utf8(String s) {
        return s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
    }

    private static void uuid(DataOutputStream out, UUID u) throws IOException {
        out.writeLong(u.getMostSignificantBits());
        out.writeLong(u.getLeastSignificantBits());
    }

    private static UUID uuid(ByteBuffer b) {
        return new UUID(b.getLong(), b.getLong());
    }
}
