package io.depot.nfs.fs;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The read-only {@code .snapshots} directory of one export: one entry per export snapshot, each
 * the frozen export root of that snapshot ({@link SnapshotView}). It is numbered
 * {@code 0xffffff << 40 | ROOT}; its ".." is the export root, and an entry's cookie is its
 * snapshot id + 2, so listings resume correctly while snapshots come and go.
 */
final class SnapshotDirectory implements ReadOnlyTree {
    static final int MARK = 0xffffff;

    private final Datastore live;
    private final long root;

    SnapshotDirectory(Datastore live, long root) {
        this.live = live;
        this.root = root;
    }

    static long number(long exportRoot) { return SnapshotView.number(MARK, exportRoot); }

    @Override
    public FsException.ReadOnly readOnly() {
        return new FsException.ReadOnly("the snapshot directory is read-only");
    }

    private void check(long number) {
        if (number != number(root)) {
            throw new FsException.Stale("not the snapshot directory of " + root);
        }
    }

    /** Looks like the export root, read-only, one link per snapshot. */
    @Override
    public Inode getattr(long ino) {
        check(ino);
        Inode r = live.getattr(root);
        int n = live.exportSnapshots(root).size();
        return new Inode(number(root), r.generation(), FileType.DIRECTORY, 0555, 0, 0, 2 + n, 4096,
                r.atime(), r.mtime(), r.ctime(), null, root, 0, 0, 0, null);
    }

    /** ".." is the export root, in the live tree. */
    @Override
    public Inode parentOf(Inode dir) {
        return live.getattr(root);
    }

    @Override
    public Inode resolve(String path) { throw new FsException.NoEntry(path); }

    @Override
    public Inode lookup(Caller caller, long dir, String name) {
        Inode dot = selfOrParent(getattr(dir), name);
        if (dot != null) {
            return dot;
        }
        ExportSnapshot s = live.exportSnapshot(root, name);
        if (s == null) {
            throw new FsException.NoEntry(name);
        }
        return live.snapshotView(s.id()).getattr(SnapshotView.number(s.id(), root));
    }

    @Override
    public DirPage readdir(Caller caller, long dir, long cookie, int maxEntries, boolean withAttributes) {
        Inode d = getattr(dir);
        List<DirEntry> out = new ArrayList<>();
        if (cookie == 0 && out.size() < maxEntries) {
            out.add(new DirEntry(".", d.ino(), 1, withAttributes ? d : null));
        }
        if (cookie <= 1 && out.size() < maxEntries) {
            out.add(new DirEntry("..", root, 2, withAttributes ? live.getattr(root) : null));
        }
        List<ExportSnapshot> all = new ArrayList<>(live.exportSnapshots(root));
        all.sort(Comparator.comparingInt(ExportSnapshot::id));
        boolean eof = true;
        for (ExportSnapshot s : all) {
            long c = s.id() + 2L;
            if (c <= cookie) {
                continue;
            }
            if (out.size() == maxEntries) {
                eof = false;
                break;
            }
            long n = SnapshotView.number(s.id(), root);
            Inode attrs = null;
            if (withAttributes) {
                try {
                    attrs = live.snapshotView(s.id()).getattr(n);
                } catch (FsException.Stale gone) {
                    continue;
                }
            }
            out.add(new DirEntry(s.name(), n, c, attrs));
        }
        return new DirPage(out, eof);
    }

    @Override
    public long cookieVerifier(long dir) { return 0; }

    @Override
    public byte[] readlink(Caller caller, long ino) { throw new FsException.Invalid("not a symbolic link"); }

    @Override
    public ReadResult read(Caller caller, long ino, long offset, int count, ByteBuffer dst) { throw new FsException.IsDirectory("snapshot directory"); }

    @Override
    public FsStats fsstat() { return live.fsstat(); }
}
