package io.depot.nfs.nlm;

import java.util.Objects;

/**
 * A lock on a byte range of one file by one owner, held or asked for: NLM4's {@code nlm4_lock}
 * with its {@code exclusive} flag, and, when returned as a conflict, NLM_TEST's {@code holder}.
 *
 * @param fileId the file, e.g. its inode number; locks on different files never meet
 * @param owner who holds or asks
 * @param range the bytes
 * @param exclusive a write (exclusive) lock when true, a read (shared) lock when false
 */
public record FileLock(long fileId, LockOwner owner, LockRange range, boolean exclusive) {
    /** Checks the owner and range are given. */
    public FileLock {
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(range, "range");
    }

    /** A shared (read) lock. */
    public static FileLock shared(long fileId, LockOwner owner, long offset, long length) {
        return new FileLock(fileId, owner, new LockRange(offset, length), false);
    }

    /** An exclusive (write) lock. */
    public static FileLock exclusive(long fileId, LockOwner owner, long offset, long length) {
        return new FileLock(fileId, owner, new LockRange(offset, length), true);
    }

    /**
     * Whether the two cannot be held at once, as POSIX and NLM define it: same file, different
     * owners, overlapping ranges, and at least one exclusive. Two shared locks never conflict, and
     * an owner never conflicts with itself.
     */
    public boolean conflictsWith(FileLock other) {
        return fileId == other.fileId
                && (exclusive || other.exclusive)
                && !owner.equals(other.owner)
                && range.overlaps(other.range);
    }

    /** The same lock on another range. */
    FileLock withRange(LockRange r) {
        return new FileLock(fileId, owner, r, exclusive);
    }

    @Override
    public String toString() {
        return (exclusive ? "W" : "R") + " file " + fileId + " " + range + " by " + owner;
    }
}
