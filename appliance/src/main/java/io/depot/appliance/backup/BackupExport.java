package io.depot.appliance.backup;

import io.depot.engine.DamagedBlock;
import io.depot.engine.DataCorruptionException;
import io.depot.engine.Extent;
import io.depot.engine.InvalidIoException;
import io.depot.engine.Pool;
import io.depot.engine.Snapshot;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * One snapshot as a backup stream: every data extent (full), or the extents that changed since an
 * older snapshot of the same volume (incremental), from the engine's diff ({@link Snapshot#changedSince}).
 * The plan (header and extent list) is made up front, so the stream's exact length is known before
 * the first byte; the data itself is read from the snapshot one record (at most 1 MiB) at a time.
 */
public final class BackupExport {
    private final Snapshot snapshot;
    private final StreamHeader header;
    private final byte[] headerBytes;
    private final List<Extent> extents;
    private final long length;
    private final long dataBytes;

    private BackupExport(Snapshot snapshot, StreamHeader header, List<Extent> extents) {
        this.snapshot = snapshot;
        this.header = header;
        this.headerBytes = header.encode();
        this.extents = extents;
        long n = headerBytes.length + BackupFormat.TRAILER_LENGTH;
        long data = 0;
        for (Extent e : extents) {
            if (e.data()) {
                n += e.length() + records(e.length()) * BackupFormat.DATA_OVERHEAD;
                data += e.length();
            } else {
                n += BackupFormat.ZERO_RECORD;
            }
        }
        this.length = n;
        this.dataBytes = data;
    }

    /** Plans the export of {@code snapshot}; {@code base} null for a full stream, else an older snapshot of the same volume. */
    public static BackupExport of(Pool pool, Snapshot snapshot, Snapshot base) {
        if (base != null) {
            List<Snapshot> all = snapshot.volume().snapshots();
            if (!base.volume().equals(snapshot.volume()) || all.indexOf(base) >= all.indexOf(snapshot)) {
                throw new InvalidIoException("an incremental stream needs an older snapshot of the same volume as its base; "
                        + base + " is not older than " + snapshot);
            }
        }
        List<Extent> extents = snapshot.changedSince(base);
        refuseKnownDamage(pool, snapshot, extents);
        StreamHeader h = new StreamHeader(snapshot.sizeBytes(), pool.clusterSize(), pool.uuid(), snapshot.volume().uuid(),
                snapshot.uuid(), base == null ? null : base.uuid(), snapshot.createdAt(), snapshot.volume().name(),
                snapshot.name(), base == null ? null : base.name());
        return new BackupExport(snapshot, h, extents);
    }

    /**
     * Damage the pool already knows in the data to send (found through this snapshot) refuses the
     * export before its first byte, so the caller gets an error instead of a stream cut short.
     * Damage not known yet is found by the export's own reads, which fail the stream mid-way.
     */
    private static void refuseKnownDamage(Pool pool, Snapshot snapshot, List<Extent> extents) {
        for (DamagedBlock b : pool.integrity().damage()) {
            if (b.volumeUuid().equals(snapshot.volume().uuid()) && snapshot.name().equals(b.snapshot())) {
                for (Extent e : extents) {
                    if (e.data() && b.offset() < e.offset() + e.length() && b.offset() + DamagedBlock.SIZE > e.offset()) {
                        throw new DataCorruptionException(snapshot.volume().name(), snapshot.name(), Math.max(b.offset(), e.offset()));
                    }
                }
            }
        }
    }

    public StreamHeader header() { return header; }

    /** The stream's exact length in bytes. */
    public long length() { return length; }

    /** Bytes of data the stream carries (its payload). */
    public long dataBytes() { return dataBytes; }

    public int extents() { return extents.size(); }

    /**
     * Writes the whole stream; an engine failure (the snapshot deleted meanwhile, or a
     * {@link DataCorruptionException}: damaged data is never sent) stops it short of the trailer,
     * which an import refuses as truncated.
     */
    public void writeTo(OutputStream sink) throws IOException {
        CRC32C stream = new CRC32C();
        CheckedOutputStream checked = new CheckedOutputStream(sink, stream);
        DataOutputStream out = new DataOutputStream(checked);
        out.write(headerBytes);
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(BackupFormat.MAX_RECORD, Math.max(maxDataExtent(), 512)));
        long records = 0;
        long data = 0;
        long zero = 0;
        CRC32C record = new CRC32C();
        for (Extent e : extents) {
            if (!e.data()) {
                ByteBuffer r = ByteBuffer.allocate(BackupFormat.ZERO_RECORD - 4).put(BackupFormat.ZERO).putLong(e.offset())
                        .putLong(e.length());
                record.reset();
                record.update(r.array());
                out.write(r.array());
                out.writeInt((int) record.getValue());
                records++;
                zero += e.length();
                continue;
            }
            for (long off = e.offset(), end = e.offset() + e.length(); off < end; ) {
                int n = (int) Math.min(BackupFormat.MAX_RECORD, end - off);
                buf.clear().limit(n);
                snapshot.read(off, buf);
                ByteBuffer head = ByteBuffer.allocate(13).put(BackupFormat.DATA).putLong(off).putInt(n);
                record.reset();
                record.update(head.array());
                record.update(buf.array(), 0, n);
                out.write(head.array());
                out.write(buf.array(), 0, n);
                out.writeInt((int) record.getValue());
                records++;
                data += n;
                off += n;
            }
        }
        out.writeByte(BackupFormat.TRAILER);
        out.writeLong(records);
        out.writeLong(data);
        out.writeLong(zero);
        int crc = (int) stream.getValue();
        out.writeInt(crc);
        out.flush();
    }

    private long maxDataExtent() {
        return extents.stream().filter(Extent::data).mapToLong(Extent::length).max().orElse(0);
    }

    private static long records(long bytes) {
        return (bytes + BackupFormat.MAX_RECORD - 1) / BackupFormat.MAX_RECORD;
    }
}
