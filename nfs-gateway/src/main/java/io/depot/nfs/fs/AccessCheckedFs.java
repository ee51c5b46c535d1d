package io.depot.nfs.fs;

import java.nio.ByteBuffer;

/**
 * A {@link VirtualFileSystem} that checks the caller's permission before it lets an operation
 * through to the one it wraps, in the way nfs4j's {@code PseudoFs} wraps its file system:
 * search permission for LOOKUP, read permission for READDIR, read and write permission on a
 * file's data ({@link Permissions#allowsData}). A check applies only where the object is of the
 * type the operation needs, so that a wrong type is still reported as such, by the wrapped file
 * system, as before the permission.
 *
 * <p>The rules that must hold at the instant of a namespace change (write permission on the
 * directory, sticky directories, who may set which attribute) stay with the change, under the
 * namespace lock ({@link LiveFileSystem}, {@link FileOperations}).
 */
class AccessCheckedFs implements VirtualFileSystem {
    private final VirtualFileSystem inner;

    AccessCheckedFs(VirtualFileSystem inner) {
        this.inner = inner;
    }

    @Override
    public Inode lookup(Caller caller, long dir, String name) {
        requireOnDirectory(caller, dir, Permissions.EXECUTE, "lookup");
        return inner.lookup(caller, dir, name);
    }

    @Override
    public DirPage readdir(Caller caller, long dir, long cookie, int maxEntries, boolean withAttributes) {
        requireOnDirectory(caller, dir, Permissions.READ, "readdir");
        return inner.readdir(caller, dir, cookie, maxEntries, withAttributes);
    }

    @Override
    public ReadResult read(Caller caller, long ino, long offset, int count, ByteBuffer dst) {
        requireOnData(caller, ino, Permissions.READ, "read");
        return inner.read(caller, ino, offset, count, dst);
    }

    @Override
    public PlannedRead plan(Caller caller, long ino, long offset, int count) {
        requireOnData(caller, ino, Permissions.READ, "read");
        return inner.plan(caller, ino, offset, count);
    }

    @Override
    public WriteResult write(Caller caller, long ino, long offset, ByteBuffer data, Stability stability) {
        requireOnData(caller, ino, Permissions.WRITE, "write");
        return inner.write(caller, ino, offset, data, stability);
    }

    /** {@code want} on directory {@code dir}; not a directory: left for the wrapped file system to refuse. */
    private void requireOnDirectory(Caller caller, long dir, int want, String what) {
        Inode d = inner.getattr(dir);
        if (d.isDirectory()) {
            Permissions.require(d, caller, want, what);
        }
    }

    /** {@code want} on the data of regular file {@code ino}; not a regular file: left for the wrapped file system to refuse. */
    private void requireOnData(Caller caller, long ino, int want, String what) {
        Inode i = inner.getattr(ino);
        if (i.isRegular() && !Permissions.allowsData(i, caller, want)) {
            throw new FsException.AccessDenied(what + ": permission denied");
        }
    }

    // ------------------------------------------------------------------ checked by the wrapped file system

    @Override
    public Inode getattr(long ino, int generation) { return inner.getattr(ino, generation); }

    @Override
    public Inode getattr(long ino) { return inner.getattr(ino); }

    @Override
    public Inode resolve(String path) { return inner.resolve(path); }

    @Override
    public Change setattr(Caller caller, long ino, SetAttributes attributes, Long guardCtime) {
        return inner.setattr(caller, ino, attributes, guardCtime);
    }

    @Override
    public byte[] readlink(Caller caller, long ino) { return inner.readlink(caller, ino); }

    @Override
    public Change commit(long ino) { return inner.commit(ino); }

    @Override
    public Created create(Caller caller, long dir, String name, SetAttributes attributes, CreateMode mode, long verifier) {
        return inner.create(caller, dir, name, attributes, mode, verifier);
    }

    @Override
    public Created mkdir(Caller caller, long dir, String name, SetAttributes attributes) { return inner.mkdir(caller, dir, name, attributes); }

    @Override
    public Created symlink(Caller caller, long dir, String name, byte[] target, SetAttributes attributes) {
        return inner.symlink(caller, dir, name, target, attributes);
    }

    @Override
    public Created mknod(Caller caller, long dir, String name, FileType type, int major, int minor, SetAttributes attributes) {
        return inner.mknod(caller, dir, name, type, major, minor, attributes);
    }

    @Override
    public Change remove(Caller caller, long dir, String name) { return inner.remove(caller, dir, name); }

    @Override
    public Change rmdir(Caller caller, long dir, String name) { return inner.rmdir(caller, dir, name); }

    @Override
    public Renamed rename(Caller caller, long fromDir, String fromName, long toDir, String toName) {
        return inner.rename(caller, fromDir, fromName, toDir, toName);
    }

    @Override
    public Linked link(Caller caller, long ino, long dir, String name) { return inner.link(caller, ino, dir, name); }

    @Override
    public long cookieVerifier(long dir) { return inner.cookieVerifier(dir); }

    @Override
    public FsStats fsstat() { return inner.fsstat(); }
}
