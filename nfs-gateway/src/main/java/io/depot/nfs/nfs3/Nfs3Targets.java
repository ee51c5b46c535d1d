package io.depot.nfs.nfs3;

import io.depot.nfs.fs.Caller;
import io.depot.nfs.fs.Datastore;
import io.depot.nfs.fs.DirEntry;
import io.depot.nfs.fs.FsException;
import io.depot.nfs.fs.Inode;
import io.depot.nfs.fs.VirtualFileSystem;
import io.depot.nfs.rpc.Credential;
import io.depot.nfs.rpc.RpcCall;

/**
 * What a file handle names for one call: its export, the caller after the export's squashing,
 * whether the call may change anything, and the file system the object lives in (the live
 * datastore, an export's {@code .snapshots} directory, or a snapshot). Also where the export's
 * tree ends ("..") and the current attributes a failed reply carries.
 */
final class Nfs3Targets {
    private final Datastore fs;
    private final NfsExportTable exports;
    private final FileHandle.Codec handles;

    Nfs3Targets(Datastore fs, NfsExportTable exports) {
        this.fs = fs;
        this.exports = exports;
        this.handles = exports.handles();
    }


    // ------------------------------------------------------------------ context

    /**
     * The object a handle names, in the export it was issued for, as seen by the caller: the
     * export's rules already applied (who the caller is, whether it may change anything), and the
     * file system it lives in (the live datastore or a read-only snapshot view).
     */
    record Target(NfsExport export, Caller caller, boolean readOnly, VirtualFileSystem vfs, long root,
                          long ino, Inode attributes) {
        void requireWritable() {
            if (readOnly) {
                throw new FsException.ReadOnly(export.path() + " is read-only here");
            }
        }

        boolean isExportRoot() { return ino == root; }

        /** A name that may not be made in this directory: the snapshot directory's, in the export root. */
        void checkNewName(String name) {
            if (isExportRoot() && name.equals(Nfs3Program.SNAPSHOTS)) {
                throw new FsException.Exists(Nfs3Program.SNAPSHOTS + " is reserved for the export's snapshots");
            }
        }
    }

    /**
     * Every NFS call passes here: the handle must be one we signed, its export must still exist and
     * admit the client ({@link NfsExportTable#access}), and the object must be of that export's
     * live tree, its snapshot directory or one of its snapshots.
     */
    Target target(RpcCall call, byte[] handle) {
        FileHandle h = handles.decode(handle);
        if (h == null) {
            throw new NfsStatus.BadHandle();
        }
        NfsExport export = exports.byId(h.exportId());
        if (export == null) {
            throw new FsException.Stale("no export with id " + h.exportId());
        }
        NfsExportTable.Access access = NfsExportTable.access(export, call.remote().getAddress());
        if (access == NfsExportTable.Access.DENIED) {
            throw new FsException.AccessDenied(call.remote() + " may not use " + export.path());
        }
        long root = exports.root(export);
        VirtualFileSystem vfs = fs.view(h.ino(), root);
        Inode i = vfs.getattr(h.ino(), h.generation());
        boolean readOnly = access == NfsExportTable.Access.READ_ONLY || vfs != fs;
        return new Target(export, caller(call, export), readOnly, vfs, root, h.ino(), i);
    }

    /** The target of a call's second handle (RENAME, LINK), which must be in {@code first}'s export: NFS3ERR_XDEV otherwise. */
    Target inSameExport(RpcCall call, Target first, byte[] handle, String procedure) {
        Target second = target(call, handle);
        if (first.export().id() != second.export().id()) {
            throw new FsException.CrossDevice(procedure + " across exports");
        }
        return second;
    }

    /** The identity a call acts as, after the export's squashing (exports(5)). */
    static Caller caller(RpcCall call, NfsExport export) {
        Caller anon = new Caller(export.anonUid(), export.anonGid(), new int[0]);
        if (call.credential() instanceof Credential.Sys sys) {
            if (export.squash() == NfsExport.Squash.ALL || (sys.uid() == 0 && export.squash() == NfsExport.Squash.ROOT)) {
                return anon;
            }
            return new Caller(sys.uid(), sys.gid(), sys.gids());
        }
        return anon;
    }

    /**
     * What ".." is where the export's tree ends, or null where it is an ordinary entry: the export
     * root is its own parent (nothing above an export can be reached), the snapshot directory's
     * parent is the export root, and a snapshot's root's parent is the snapshot directory.
     */
    private Inode boundaryParent(Target t) {
        long snapDir = Datastore.snapshotDirectory(t.root());
        if (t.isExportRoot()) {
            return t.attributes();
        }
        if (t.ino() == snapDir) {
            return fs.getattr(t.root());
        }
        if (Datastore.isSnapshotRoot(t.ino(), t.root())) {
            return fs.view(snapDir, t.root()).getattr(snapDir);
        }
        return null;
    }

    /** LOOKUP within the export: the boundaries of {@link #boundaryParent}, and ".snapshots" in the export root. */
    Inode lookupIn(Target t, String name) {
        if (name.equals("..")) {
            Inode p = boundaryParent(t);
            if (p != null) {
                return p;
            }
        }
        if (t.isExportRoot() && name.equals(Nfs3Program.SNAPSHOTS)) {
            long snapDir = Datastore.snapshotDirectory(t.root());
            return fs.view(snapDir, t.root()).getattr(snapDir);
        }
        return t.vfs().lookup(t.caller(), t.ino(), name);
    }

    /** A listing's ".." entry, kept inside the export like LOOKUP's. */
    DirEntry bounded(Target t, DirEntry e) {
        if (!e.name().equals("..")) {
            return e;
        }
        Inode p = boundaryParent(t);
        return p == null ? e : new DirEntry("..", p.ino(), e.cookie(), e.attributes() == null ? null : p);
    }

    /** The attributes of {@code ino} now, or null (for a failure's post-op attributes). */
    Inode current(long ino) {
        try {
            return fs.getattr(ino);
        } catch (FsException e) {
            return null;
        }
    }

    Inode currentOf(byte[] handle) {
        FileHandle h = handles.decode(handle);
        return h == null ? null : current(h.ino());
    }
}
