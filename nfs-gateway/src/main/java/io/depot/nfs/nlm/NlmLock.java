package io.depot.nfs.nlm;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A lock as the wire names it ({@code nlm_lock} / {@code nlm4_lock}): the client's host name, the
 * NFS file handle, the owner handle, the process id and the byte range (offsets unsigned; length 0
 * runs to the end of the file). Kept as sent, so that a GRANTED callback can echo it.
 */
public record NlmLock(String callerName, byte[] fh, byte[] oh, int svid, long offset, long length) {
    /** Checks the fields are given and copies the arrays. */
    public NlmLock {
        Objects.requireNonNull(callerName, "callerName");
        fh = fh.clone();
        oh = oh.clone();
    }

    @Override
    public byte[] fh() { return fh.clone(); }

    @Override
    public byte[] oh() { return oh.clone(); }

    /** Who asks, as the lock table compares owners: the normalised host, the process, the owner handle. */
    public LockOwner owner() {
        return new LockOwner(HostNames.normalise(callerName), svid, oh);
    }

    public LockRange range() {
        return new LockRange(offset, length);
    }

    /** The lock on {@code fileId} the lock table keeps. */
    FileLock on(long fileId, boolean exclusive) {
        return new FileLock(fileId, owner(), range(), exclusive);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NlmLock l && svid == l.svid && offset == l.offset && length == l.length
                && callerName.equals(l.callerName) && Arrays.equals(fh, l.fh) && Arrays.equals(oh, l.oh);
    }

    @Override
    public int hashCode() {
        return Objects.hash(callerName, Arrays.hashCode(fh), Arrays.hashCode(oh), svid, offset, length);
    }

    @Override
    public String toString() {
        return callerName + "/" + svid + " fh " + HexFormat.of().formatHex(fh) + " " + range();
    }
}
