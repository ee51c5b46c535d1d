package io.depot.engine;

/**
 * Data read from the pool's disk no longer matches the CRC32C recorded when it was written. The
 * bytes are never returned; the read fails with this instead, naming where the damage lies.
 *
 * <p>{@link #offset()} is the byte offset, in the volume (or snapshot) that was read, of the first
 * damaged byte inside the requested range (so {@code offset / blockSize} is the LBA to report).
 */
public final class DataCorruptionException extends StorageIoException {
    private final String volume;
    private final String snapshot;
    private final long offset;

    public DataCorruptionException(String volume, String snapshot, long offset) {
        super("checksum mismatch in " + (snapshot == null ? "volume " + volume : "snapshot " + volume + "@" + snapshot)
                + " at byte offset " + offset + ": the data on disk is damaged and was not returned");
        this.volume = volume;
        this.snapshot = snapshot;
        this.offset = offset;
    }

    /** The name of the volume that was read (the snapshot's volume for a snapshot read). */
    public String volume() { return volume; }

    /** The snapshot that was read, or null for the volume's head. */
    public String snapshot() { return snapshot; }

    /** Byte offset (in the volume or snapshot read) of the first damaged byte within the request. */
    public long offset() { return offset; }
}
