package io.depot.nfs.fs;

/**
 * Unix permission checks from the mode bits: owner, then group, then other (never a union).
 * Root may read and write anything, and execute a file that has some execute bit.
 */
public final class Permissions {
    public static final int READ = 4;
    public static final int WRITE = 2;
    public static final int EXECUTE = 1;

    private Permissions() {}

    /** Whether {@code caller} has every bit of {@code want} (rwx as 4/2/1) on {@code inode}. */
    public static boolean allows(Inode inode, Caller caller, int want) {
        if (caller.isRoot()) {
            return (want & EXECUTE) == 0 || inode.isDirectory() || (inode.mode() & 0111) != 0;
        }
        int bits;
        if (caller.uid() == inode.uid()) {
            bits = inode.mode() >> 6;
        } else if (caller.inGroup(inode.gid())) {
            bits = inode.mode() >> 3;
        } else {
            bits = inode.mode();
        }
        return (bits & want & 7) == want;
    }

    /**
     * Reading or writing a regular file's data: the owner may, whatever the mode, as knfsd allows
     * (a file created read-only must still take the data its creator writes over NFS, which has no open).
     */
    public static boolean allowsData(Inode inode, Caller caller, int want) {
        return caller.uid() == inode.uid() || allows(inode, caller, want);
    }

    static void require(Inode inode, Caller caller, int want, String what) {
        if (!allows(inode, caller, want)) {
            throw new FsException.AccessDenied(what + ": permission denied");
        }
    }

    static boolean isOwnerOrRoot(Inode inode, Caller caller) {
        return caller.isRoot() || caller.uid() == inode.uid();
    }
}
