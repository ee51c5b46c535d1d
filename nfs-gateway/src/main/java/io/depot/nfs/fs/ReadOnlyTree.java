package io.depot.nfs.fs;

import java.nio.ByteBuffer;

/**
 * An {@link InodeTree} nothing can change (an export snapshot, the snapshot directory): every
 * change answers {@link #readOnly()}, and COMMIT has nothing to make durable (a snapshot's bytes
 * are durable when it is taken).
 */
interface ReadOnlyTree extends InodeTree {
    /** What every change answers, saying what is read-only. */
    FsException.ReadOnly readOnly();

    @Override
    default Change commit(long ino) {
        Inode i = getattr(ino);
        return new Change(i, i);
    }

    @Override
    default Change setattr(Caller caller, long ino, SetAttributes attributes, Long guardCtime) { throw readOnly(); }

    @Override
    default WriteResult write(Caller caller, long ino, long offset, ByteBuffer data, Stability stability) { throw readOnly(); }

    @Override
    default Created create(Caller c, long dir, String name, SetAttributes a, CreateMode mode, long verifier) { throw readOnly(); }

    @Override
    default Created mkdir(Caller c, long dir, String name, SetAttributes a) { throw readOnly(); }

    @Override
    default Created symlink(Caller c, long dir, String name, byte[] target, SetAttributes a) { throw readOnly(); }

    @Override
    default Created mknod(Caller c, long dir, String name, FileType type, int major, int minor, SetAttributes a) { throw readOnly(); }

    @Override
    default Change remove(Caller c, long dir, String name) { throw readOnly(); }

    @Override
    default Change rmdir(Caller c, long dir, String name) { throw readOnly(); }

    @Override
    default Renamed rename(Caller c, long fromDir, String fromName, long toDir, String toName) { throw readOnly(); }

    @Override
    default Linked link(Caller c, long ino, long dir, String name) { throw readOnly(); }
}
