package io.depot.nfs.fs;

/**
 * A {@link VirtualFileSystem} whose objects are the inodes {@link #getattr(long)} reads (the live
 * tree, an export snapshot, the snapshot directory), with what they all do alike: check a
 * handle's generation and that a directory operation names a directory, and find "." and "..".
 */
interface InodeTree extends VirtualFileSystem {
    @Override
    default Inode getattr(long ino, int generation) {
        Inode i = getattr(ino);
        if (i.generation() != generation) {
            throw new FsException.Stale("inode " + ino + " generation " + generation + " is gone");
        }
        return i;
    }

    /** The attributes of {@code dir}, which must be a directory (NotDirectory otherwise). */
    default Inode directory(long dir) {
        Inode d = getattr(dir);
        if (!d.isDirectory()) {
            throw new FsException.NotDirectory("inode " + dir + " is not a directory");
        }
        return d;
    }

    /** The attributes of the directory ".." names in {@code dir}. */
    default Inode parentOf(Inode dir) {
        return getattr(dir.parent());
    }

    /** What LOOKUP finds for "." (the directory itself) and ".." ({@link #parentOf}); null for any other name. */
    default Inode selfOrParent(Inode dir, String name) {
        return switch (name) {
            case "." -> dir;
            case ".." -> parentOf(dir);
            default -> null;
        };
    }
}
