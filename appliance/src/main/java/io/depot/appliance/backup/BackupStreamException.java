package io.depot.appliance.backup;

/**
 * A backup stream that cannot be applied as it is: not a Depot stream, an unknown version, corrupt
 * (a checksum does not match), truncated, or inconsistent with itself. The message says which and where.
 */
public final class BackupStreamException extends RuntimeException {
    public BackupStreamException(String message) {
        super(message);
    }
}
