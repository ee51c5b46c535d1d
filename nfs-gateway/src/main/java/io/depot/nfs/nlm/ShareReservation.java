package io.depot.nfs.nlm;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A share reservation held on a file (NLM_SHARE): what the owner does with the file
 * ({@code access}) and what it denies everyone else ({@code mode}), each a bit set: 1 read,
 * 2 write. The owner is the client's normalised host name and the owner handle.
 *
 * @param fileId the file
 * @param host the client's normalised host name; what a reboot of that host drops
 * @param owner the owner handle
 * @param access 0 none, 1 read, 2 write, 3 read and write
 * @param mode the deny mode: 0 none, 1 read, 2 write, 3 read and write
 */
public record ShareReservation(long fileId, String host, byte[] owner, int access, int mode) {
    /** Checks the fields and copies the owner handle. */
    public ShareReservation {
        Objects.requireNonNull(host, "host");
        owner = owner.clone();
        if (access < 0 || access > 3 || mode < 0 || mode > 3) {
            throw new IllegalArgumentException("access " + access + " / deny mode " + mode);
        }
    }

    @Override
    public byte[] owner() { return owner.clone(); }

    /** Whether this and {@code other} belong to the same owner (host and owner handle). */
    boolean sameOwner(ShareReservation other) {
        return host.equals(other.host) && Arrays.equals(owner, other.owner);
    }

    /**
     * The X/Open rule: two reservations of different owners on one file cannot both be held when
     * either's access is denied by the other's mode.
     */
    public boolean conflictsWith(ShareReservation other) {
        return fileId == other.fileId && !sameOwner(other)
                && ((access & other.mode) != 0 || (mode & other.access) != 0);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ShareReservation s && fileId == s.fileId && access == s.access && mode == s.mode && sameOwner(s);
    }

    @Override
    public int hashCode() {
        return Objects.hash(fileId, host, Arrays.hashCode(owner), access, mode);
    }

    @Override
    public String toString() {
        return "share file " + fileId + " access " + access + " deny " + mode + " by " + host + "/" + HexFormat.of().formatHex(owner);
    }
}
