package io.depot.nfs.nlm;

import java.util.Objects;

/**
 * A share reservation as the wire names it ({@code nlm_share} / {@code nlm4_share}): the client's
 * host name, the NFS file handle, the owner handle, the deny mode ({@code fsh_mode}: 0 none, 1
 * read, 2 write, 3 both) and the access ({@code fsh_access}: 0 none, 1 read, 2 write, 3 both).
 */
public record NlmShare(String callerName, byte[] fh, byte[] oh, int mode, int access) {
    /** Checks the fields are given and copies the arrays. */
    public NlmShare {
        Objects.requireNonNull(callerName, "callerName");
        fh = fh.clone();
        oh = oh.clone();
    }

    @Override
    public byte[] fh() { return fh.clone(); }

    @Override
    public byte[] oh() { return oh.clone(); }
}
