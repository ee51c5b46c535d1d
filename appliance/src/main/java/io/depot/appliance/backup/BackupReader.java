package io.depot.appliance.backup;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Reads and verifies a backup stream (docs/backup-format.md) as it arrives: the header, then each
 * record, whose checksum is checked before its bytes are handed on, then the trailer's totals and
 * whole-stream checksum, then the end of input. Holds one record (at most 1 MiB) at a time. Any
 * departure from the format is a {@link BackupStreamException} saying what and where; the
 * {@link Sink} sees only verified records, but a later record can still fail, so a sink that applies
 * records must be able to undo them.
 */
public final class BackupReader {
    /** Where verified records go, in stream order (ascending, non-overlapping offsets). */
    public interface Sink {
        void data(long offset, ByteBuffer payload) throws IOException;

        void zero(long offset, long length) throws IOException;
    }

    /** What the trailer confirmed. */
    public record Totals(long records, long dataBytes, long zeroBytes, long streamBytes) {}

    private final Input in;
    private StreamHeader header;

    public BackupReader(InputStream in) {
        this.in = new Input(in);
    }

    /** Reads and checks the header. */
    public StreamHeader readHeader() throws IOException {
        byte[] magic = new byte[StreamHeader.MAGIC.length];
        int got = in.readUpTo(magic);
        if (got == 0) {
            throw new BackupStreamException("the stream is empty: no Depot backup header");
        }
        if (got < magic.length || !Arrays.equals(magic, StreamHeader.MAGIC)) {
            throw new BackupStreamException("this is not a Depot backup stream (it does not start with \"DEPOTBAK\")");
        }
        byte[] fixed = in.readExactly(8, "in the header");
        ByteBuffer f = ByteBuffer.wrap(fixed);
        int version = f.getShort() & 0xffff;
        if (version != StreamHeader.VERSION) {
            throw new BackupStreamException("backup stream version " + version + " is not supported (this Depot reads version "
                    + StreamHeader.VERSION + ")");
        }
        f.getShort();
        int length = f.getInt();
        if (length < StreamHeader.FIXED + 3 * 2 + 4 || length > StreamHeader.MAX_LENGTH) {
            throw new BackupStreamException("the stream's header is corrupt (length " + length + ")");
        }
        byte[] all = new byte[length];
        System.arraycopy(magic, 0, all, 0, magic.length);
        System.arraycopy(fixed, 0, all, magic.length, fixed.length);
        byte[] rest = in.readExactly(length - magic.length - fixed.length, "in the header");
        System.arraycopy(rest, 0, all, magic.length + fixed.length, rest.length);
        header = StreamHeader.decode(all);
        return header;
    }

    /** Reads every record into {@code sink}, then the trailer, then insists on the end of input. */
    public Totals readRecords(Sink sink) throws IOException {
        if (header == null) {
            readHeader();
        }
        byte[] payload = new byte[0];
        CRC32C crc = new CRC32C();
        long records = 0;
        long data = 0;
        long zero = 0;
        long end = 0; // end of the previous record: offsets ascend and never overlap
        while (true) {
            long at = in.position();
            String where = "in record " + (records + 1) + " (byte " + at + ")";
            byte kind = in.readExactly(1, "before the trailer (after " + records + " records)")[0];
            if (kind == BackupFormat.TRAILER) {
                ByteBuffer t = ByteBuffer.wrap(in.readExactly(24, "in the trailer"));
                long nRecords = t.getLong();
                long nData = t.getLong();
                long nZero = t.getLong();
                // the checksum covers every byte before its own field: header, records, the trailer's kind and totals
                long whole = in.crc();
                int expected = ByteBuffer.wrap(in.readExactly(4, "in the trailer")).getInt();
                if ((int) whole != expected) {
                    throw new BackupStreamException("the stream is corrupt: its whole-stream checksum does not match");
                }
                if (nRecords != records || nData != data || nZero != zero) {
                    throw new BackupStreamException("the stream is inconsistent: its trailer counts " + nRecords + " records ("
                            + nData + " data bytes, " + nZero + " zero bytes) but it holds " + records + " (" + data + ", "
                            + zero + ")");
                }
                if (in.read() != -1) {
                    throw new BackupStreamException("unexpected bytes after the stream's trailer (byte " + (in.position() - 1)
                            + "): two streams concatenated, or a corrupt stream");
                }
                return new Totals(records, data, zero, in.position());
            }
            if (kind == BackupFormat.DATA) {
                ByteBuffer h = ByteBuffer.wrap(in.readExactly(12, where));
                long offset = h.getLong();
                int length = h.getInt();
                if (length <= 0 || length > BackupFormat.MAX_RECORD) {
                    throw new BackupStreamException("the stream is corrupt " + where + ": data length " + length
                            + " is outside 1.." + BackupFormat.MAX_RECORD);
                }
                if (payload.length < length) {
                    payload = new byte[Math.max(length, Math.min(BackupFormat.MAX_RECORD, payload.length * 2))];
                }
                in.readFully(payload, length, where);
                int stored = ByteBuffer.wrap(in.readExactly(4, where)).getInt();
                crc.reset();
                crc.update(kind);
                crc.update(h.array());
                crc.update(payload, 0, length);
                if ((int) crc.getValue() != stored) {
                    throw new BackupStreamException("the stream is corrupt " + where + ": data record at offset " + offset
                            + " (" + length + " bytes) fails its checksum");
                }
                end = checkPlace(offset, length, end, where);
                sink.data(offset, ByteBuffer.wrap(payload, 0, length));
                data += length;
            } else if (kind == BackupFormat.ZERO) {
                ByteBuffer h = ByteBuffer.wrap(in.readExactly(16, where));
                long offset = h.getLong();
                long length = h.getLong();
                int stored = ByteBuffer.wrap(in.readExactly(4, where)).getInt();
                crc.reset();
                crc.update(kind);
                crc.update(h.array());
                if ((int) crc.getValue() != stored) {
                    throw new BackupStreamException("the stream is corrupt " + where + ": zero record fails its checksum");
                }
                end = checkPlace(offset, length, end, where);
                sink.zero(offset, length);
                zero += length;
            } else {
                throw new BackupStreamException("the stream is corrupt " + where + ": unknown record kind 0x"
                        + Integer.toHexString(kind & 0xff));
            }
            records++;
        }
    }

    /** Offsets are 512-aligned, ascend without overlap and stay within the volume. Returns the record's end. */
    private long checkPlace(long offset, long length, long previousEnd, String where) {
        if (offset < 0 || length <= 0 || offset % 512 != 0 || length % 512 != 0) {
            throw new BackupStreamException("the stream is malformed " + where + ": extent at " + offset + " of " + length
                    + " bytes is not aligned to 512 bytes");
        }
        if (offset < previousEnd) {
            throw new BackupStreamException("the stream is malformed " + where + ": extent at " + offset
                    + " overlaps or precedes the previous one (ending at " + previousEnd + ")");
        }
        if (length > header.volumeSize() - offset) {
            throw new BackupStreamException("the stream is malformed " + where + ": extent at " + offset + " of " + length
                    + " bytes runs past the volume's size " + header.volumeSize());
        }
        return offset + length;
    }

    /** The input with a running CRC32C of every byte consumed and a position, for the trailer and messages. */
    private static final class Input {
        private final InputStream in;
        private final CRC32C crc = new CRC32C();
        private long position;

        Input(InputStream in) {
            this.in = in;
        }

        long position() { return position; }

        long crc() { return crc.getValue(); }

        int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                crc.update(b);
                position++;
            }
            return b;
        }

        /** Reads up to {@code dst.length} bytes, fewer only at the end of input. */
        int readUpTo(byte[] dst) throws IOException {
            int n = in.readNBytes(dst, 0, dst.length);
            crc.update(dst, 0, n);
            position += n;
            return n;
        }

        byte[] readExactly(int n, String where) throws IOException {
            byte[] b = new byte[n];
            readFully(b, n, where);
            return b;
        }

        void readFully(byte[] dst, int n, String where) throws IOException {
            int got = in.readNBytes(dst, 0, n);
            if (got < n) {
                position += got;
                throw new BackupStreamException("the stream is truncated: it ends at byte " + position + " " + where);
            }
            crc.update(dst, 0, n);
            position += n;
        }
    }
}
