package io.depot.appliance.backup;

/** Constants of the backup stream format shared by its writer and reader (docs/backup-format.md). */
final class BackupFormat {
    private BackupFormat() {}

    static final byte DATA = 'D';
    static final byte ZERO = 'Z';
    static final byte TRAILER = 'T';
    /**
     * Data extents travel in records of at most 1 MiB: each record's checksum is verified before its
     * bytes are written, so the reader holds one record at a time and corruption is caught early.
     */
    static final int MAX_RECORD = 1 << 20;
    /** kind, offset (8), length (4), CRC (4), not counting the payload. */
    static final int DATA_OVERHEAD = 1 + 8 + 4 + 4;
    /** kind, offset (8), length (8), CRC (4). */
    static final int ZERO_RECORD = 1 + 8 + 8 + 4;
    /** kind, records (8), data bytes (8), zero bytes (8), stream CRC (4). */
    static final int TRAILER_LENGTH = 1 + 8 + 8 + 8 + 4;
}
