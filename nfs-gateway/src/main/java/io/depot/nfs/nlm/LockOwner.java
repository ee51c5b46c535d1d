package io.depot.nfs.nlm;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Who holds or asks for a lock, as NLM4 names it: the client's host name ({@code caller_name}),
 * the process id on that host ({@code svid}) and the opaque owner handle ({@code oh}). Two
 * requests are by the same owner when all three are equal; an owner never conflicts with its own
 * locks, which is what lets fcntl-style upgrade, downgrade and splitting work.
 *
 * @param host the client's host name; what {@link LockTable#releaseAll} matches on a reboot
 * @param svid the locking process on that host
 * @param handle the opaque owner handle, copied so the caller's array cannot change it
 */
public record LockOwner(String host, int svid, byte[] handle) {
    /** Checks the host and takes a private copy of the handle. */
    public LockOwner {
        Objects.requireNonNull(host, "host");
        handle = handle == null ? new byte[0] : handle.clone();
    }

    /** An owner with an empty owner handle (tests, clients that send none). */
    public LockOwner(String host, int svid) {
        this(host, svid, new byte[0]);
    }

    /** A copy of the owner handle (records would hand out the array itself). */
    @Override
    public byte[] handle() {
        return handle.clone();
    }

    // Records compare arrays by identity; owners are compared by the handle's bytes.
    @Override
    public boolean equals(Object o) {
        return o instanceof LockOwner other && svid == other.svid && host.equals(other.host) && Arrays.equals(handle, other.handle);
    }

    @Override
    public int hashCode() {
        return Objects.hash(host, svid, Arrays.hashCode(handle));
    }

    @Override
    public String toString() {
        return host + "/" + svid + (handle.length == 0 ? "" : "/" + HexFormat.of().formatHex(handle));
    }
}
