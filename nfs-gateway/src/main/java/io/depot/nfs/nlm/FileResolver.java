package io.depot.nfs.nlm;

import java.util.OptionalLong;

/**
 * Turns the NFS file handle of a lock request into the file it names: a number stable across
 * restarts, exports and clients (the inode number), so a lock taken through one export conflicts
 * with the same file reached through another. Empty for a handle we did not issue or whose file is
 * gone (NLM4_STALE_FH).
 */
@FunctionalInterface
public interface FileResolver {
    OptionalLong fileId(byte[] fh);
}
