package io.depot.nfs.nfs3;

import io.depot.nfs.fs.Caller;
import io.depot.nfs.fs.Change;
import io.depot.nfs.fs.Created;
import io.depot.nfs.fs.Datastore;
import io.depot.nfs.fs.DirEntry;
import io.depot.nfs.fs.DirPage;
import io.depot.nfs.fs.FileType;
import io.depot.nfs.fs.FsException;
import io.depot.nfs.fs.FsStats;
import io.depot.nfs.fs.Inode;
import io.depot.nfs.fs.Linked;
import io.depot.nfs.fs.Permissions;
import io.depot.nfs.fs.ReadResult;
import io.depot.nfs.fs.Renamed;
import io.depot.nfs.fs.SetAttributes;
import io.depot.nfs.fs.Stability;
import io.depot.nfs.fs.VirtualFileSystem;
import io.depot.nfs.fs.VirtualFileSystem.CreateMode;
import io.depot.nfs.fs.WriteResult;
import io.depot.nfs.rpc.Credential;
import io.depot.nfs.rpc.RpcCall;
import io.depot.nfs.rpc.RpcDeferredHandler;
import io.depot.nfs.rpc.RpcErrorException;
import io.depot.nfs.rpc.RpcProgram;
import io.depot.nfs.xdr.XdrReader;
import io.depot.nfs.xdr.XdrWriter;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.security.SecureRandom;

/**
 * NFS version 3 (RFC 1813) over a {@link Datastore}: decodes arguments, finds the export and
 * caller, calls the file system, encodes results. Every failure of the file system is an
 * {@link FsException} whose class picks the status ({@link NfsStatus}); the failure arm of each
 * result carries what RFC 1813 asks for (post-op attributes or wcc data).
 */
public final class Nfs3Program {
    private final Datastore fs;
    private final NfsExportTable exports;
    private final FileHandle.Codec handles;
    private final long fsid;
    /** Changes every start, so clients know to resend writes that were never committed (§3.3.7). */
    private final long writeVerifier = new SecureRandom().nextLong();

    public Nfs3Program(Datastore fs, NfsExportTable exports, long fsid) {
        this.fs = fs;
        this.exports = exports;
        this.handles = exports.handles();
        this.fsid = fsid;
    }

    public long writeVerifier() { return writeVerifier; }

    public RpcProgram program() {
        int v = Nfs3.VERSION;
        return RpcProgram.builder(Nfs3.PROGRAM, "nfs")
                .procedure(v, Nfs3.PROC_NULL, "NULL", (call, args, res) -> args.expectEnd())
                .procedure(v, Nfs3.PROC_GETATTR, "GETATTR", this::getattr, this::getattrFromMemory)
                .nonIdempotentProcedure(v, Nfs3.PROC_SETATTR, "SETATTR", this::setattr)
                .procedure(v, Nfs3.PROC_LOOKUP, "LOOKUP", this::lookup, this::lookupFromMemory)
                .procedure(v, Nfs3.PROC_ACCESS, "ACCESS", this::access)
                .procedure(v, Nfs3.PROC_READLINK, "READLINK", this::readlink)
                .procedureQuickWhenIdle(v, Nfs3.PROC_READ, "READ", this::read, this::readFromMemory)
                .procedure(v, Nfs3.PROC_WRITE, "WRITE", this::write)
                .nonIdempotentProcedure(v, Nfs3.PROC_CREATE, "CREATE", this::create, this::createFromMemory)
                .nonIdempotentProcedure(v, Nfs3.PROC_MKDIR, "MKDIR", this::mkdir)
                .nonIdempotentProcedure(v, Nfs3.PROC_SYMLINK, "SYMLINK", this::symlink)
                .nonIdempotentProcedure(v, Nfs3.PROC_MKNOD, "MKNOD", this::mknod)
                .nonIdempotentProcedure(v, Nfs3.PROC_REMOVE, "REMOVE", this::remove, this::removeFromMemory)
                .nonIdempotentProcedure(v, Nfs3.PROC_RMDIR, "RMDIR", this::rmdir)
                .nonIdempotentProcedure(v, Nfs3.PROC_RENAME, "RENAME", this::rename)
                .nonIdempotentProcedure(v, Nfs3.PROC_LINK, "LINK", this::link)
                .procedure(v, Nfs3.PROC_READDIR, "READDIR", this::readdir)
                .procedure(v, Nfs3.PROC_READDIRPLUS, "READDIRPLUS", this::readdirplus)
                .procedure(v, Nfs3.PROC_FSSTAT, "FSSTAT", this::fsstat)
                .procedure(v, Nfs3.PROC_FSINFO, "FSINFO", this::fsinfo)
                .procedure(v, Nfs3.PROC_PATHCONF, "PATHCONF", this::pathconf)
                .procedure(v, Nfs3.PROC_COMMIT, "COMMIT", this::commit)
                .build();
    }

    // ------------------------------------------------------------------ context

    /** A handle that is not one of ours: NFS3ERR_BADHANDLE. */
    private static final class BadHandle extends RuntimeException {
        BadHandle() { super("bad handle", null, false, false); }
    }

    /** The name under an export's directory where its snapshots are (never listed, always found). */
    static final String SNAPSHOTS = ".snapshots";

    /**
     * The object a handle names, in the export it was issued for, as seen by the caller: the
     * export's rules already applied (who the caller is, whether it may change anything), and the
     * file system it lives in (the live datastore or a read-only snapshot view).
     */
    private record Target(NfsExport export, Caller caller, boolean readOnly, VirtualFileSystem vfs, long root,
                          long ino, Inode attributes) {
        void requireWritable() {
            if (readOnly) {
                throw new FsException.ReadOnly(export.path() + " is read-only here");
            }
        }

        boolean isExportRoot() { return ino == root; }

        /** A name that may not be made in this directory: the snapshot directory's, in the export root. */
        void checkNewName(String name) {
            if (isExportRoot() && name.equals(SNAPSHOTS)) {
                throw new FsException.Exists(SNAPSHOTS + " is reserved for the export's snapshots");
            }
        }
    }

    private static byte[] readHandle(XdrReader args) {
        return args.readOpaque(Nfs3.FHSIZE);
    }

    /**
     * Every NFS call passes here: the handle must be one we signed, its export must still exist and
     * admit the client ({@link NfsExportTable#access}), and the object must be of that export's
     * live tree, its snapshot directory or one of its snapshots.
     */
    private Target target(RpcCall call, byte[] handle) {
        FileHandle h = handles.decode(handle);
        if (h == null) {
            throw new BadHandle();
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

    /** The identity a call acts as, after the export's squashing (exports(5)). */
    private static Caller caller(RpcCall call, NfsExport export) {
        Caller anon = new Caller(export.anonUid(), export.anonGid(), new int[0]);
        if (call.credential() instanceof Credential.Sys sys) {
            if (export.squash() == NfsExport.Squash.ALL || (sys.uid() == 0 && export.squash() == NfsExport.Squash.ROOT)) {
                return anon;
            }
            return new Caller(sys.uid(), sys.gid(), sys.gids());
        }
        return anon;
    }

    private byte[] handleOf(NfsExport export, Inode i) {
        return handles.encode(new FileHandle(export.id(), i.ino(), i.generation()));
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
    private Inode lookupIn(Target t, String name) {
        if (name.equals("..")) {
            Inode p = boundaryParent(t);
            if (p != null) {
                return p;
            }
        }
        if (t.isExportRoot() && name.equals(SNAPSHOTS)) {
            long snapDir = Datastore.snapshotDirectory(t.root());
            return fs.view(snapDir, t.root()).getattr(snapDir);
        }
        return t.vfs().lookup(t.caller(), t.ino(), name);
    }

    /** A listing's ".." entry, kept inside the export like LOOKUP's. */
    private DirEntry bounded(Target t, DirEntry e) {
        if (!e.name().equals("..")) {
            return e;
        }
        Inode p = boundaryParent(t);
        return p == null ? e : new DirEntry("..", p.ino(), e.cookie(), e.attributes() == null ? null : p);
    }

    private static int status(RuntimeException e) {
        if (e instanceof FsException f) {
            return NfsStatus.of(f);
        }
        if (e instanceof BadHandle) {
            return Nfs3.ERR_BADHANDLE;
        }
        throw e;
    }

    private static String readName(XdrReader args) {
        return args.readString(Nfs3.MAX_NAME_READ);
    }

    /** The attributes of {@code ino} now, or null (for a failure's post-op attributes). */
    private Inode current(long ino) {
        try {
            return fs.getattr(ino);
        } catch (FsException e) {
            return null;
        }
    }

    private Inode currentOf(byte[] handle) {
        FileHandle h = handles.decode(handle);
        return h == null ? null : current(h.ino());
    }

    // ------------------------------------------------------------------ XDR of attributes

    private static void time(XdrWriter w, long nanos) {
        w.writeInt((int) Math.floorDiv(nanos, 1_000_000_000L));
        w.writeInt((int) Math.floorMod(nanos, 1_000_000_000L));
    }

    /** fattr3 (§2.6). */
    private void fattr(XdrWriter w, Inode i) {
        w.writeInt(i.type().code());
        w.writeInt(i.mode() & 07777);
        w.writeInt(i.nlink());
        w.writeInt(i.uid());
        w.writeInt(i.gid());
        w.writeHyper(i.size());
        w.writeHyper(fs.allocatedBytes(i));
        w.writeInt(i.rdevMajor());
        w.writeInt(i.rdevMinor());
        w.writeHyper(fsid);
        w.writeHyper(i.ino());
        time(w, i.atime());
        time(w, i.mtime());
        time(w, i.ctime());
    }

    private void postOpAttr(XdrWriter w, Inode i) {
        w.writeBoolean(i != null);
        if (i != null) {
            fattr(w, i);
        }
    }

    /** wcc_data: pre-op (size, mtime, ctime) and post-op attributes, each optional. */
    private void wcc(XdrWriter w, Inode before, Inode after) {
        w.writeBoolean(before != null);
        if (before != null) {
            w.writeHyper(before.size());
            time(w, before.mtime());
            time(w, before.ctime());
        }
        postOpAttr(w, after);
    }

    private void wcc(XdrWriter w, Change c) {
        wcc(w, c.before(), c.after());
    }

    private void postOpHandle(XdrWriter w, NfsExport export, Inode i) {
        w.writeBoolean(i != null);
        if (i != null) {
            w.writeOpaque(handleOf(export, i));
        }
    }

    private static Long readSetTime(XdrReader args) {
        int how = args.readInt();
        return switch (how) {
            case Nfs3.DONT_CHANGE -> null;
            case Nfs3.SET_TO_SERVER_TIME -> SetAttributes.SERVER_TIME;
            case Nfs3.SET_TO_CLIENT_TIME -> {
                long s = args.readUnsignedInt();
                long ns = args.readUnsignedInt();
                if (ns >= 1_000_000_000L) {
                    throw new FsException.Invalid("nseconds " + ns);
                }
                yield s * 1_000_000_000L + ns;
            }
            default -> throw RpcErrorException.garbageArgs("time_how " + how);
        };
    }

    /** sattr3 (§2.6). */
    private static SetAttributes readSattr(XdrReader args) {
        Integer mode = args.readBoolean() ? args.readInt() & 07777 : null;
        Integer uid = args.readBoolean() ? args.readInt() : null;
        Integer gid = args.readBoolean() ? args.readInt() : null;
        Long size = args.readBoolean() ? args.readHyper() : null;
        Long atime = readSetTime(args);
        Long mtime = readSetTime(args);
        return new SetAttributes(mode, uid, gid, size, atime, mtime);
    }

    // ------------------------------------------------------------------ procedures

    /** GETATTR (§3.3.1). */
    private void getattr(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = readHandle(args);
        args.expectEnd();
        try {
            Target t = target(call, fh);
            res.writeInt(Nfs3.OK);
            fattr(res, t.attributes());
        } catch (RuntimeException e) {
            res.writeInt(status(e));
        }
    }

    /** What a fast path may answer from: a live object's export and in-memory attributes. */
    private record InMemory(NfsExport export, Inode inode) {}

    /**
     * The export and cached attributes of {@code fh}, or null when the event loop must not answer:
     * a bad or snapshot handle, an export whose rules need a name lookup or deny the caller, or
     * attributes not in memory (or of an older generation).
     */
    private InMemory inMemory(RpcCall call, byte[] fh) {
        FileHandle h = handles.decode(fh);
        if (h == null || Datastore.isSnapshotObject(h.ino())) {
            return null;
        }
        NfsExport export = exports.byId(h.exportId());
        if (export == null || !NfsExportTable.decidesWithoutLookup(export)
                || NfsExportTable.access(export, call.remote().getAddress()) == NfsExportTable.Access.DENIED) {
            return null;
        }
        Inode i = fs.cachedAttributes(h.ino());
        return i == null || i.generation() != h.generation() ? null : new InMemory(export, i);
    }

    /**
     * GETATTR's fast path on the event loop: a live file whose attributes are in memory, through
     * an export whose rules need no name lookup. Anything else (errors included) goes to
     * {@link #getattr} on a worker.
     */
    private boolean getattrFromMemory(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = readHandle(args);
        args.expectEnd();
        InMemory m = inMemory(call, fh);
        if (m == null) {
            return false;
        }
        Inode i = m.inode();
        res.writeInt(Nfs3.OK);
        fattr(res, i);
        return true;
    }

    /** SETATTR (§3.3.2). */
    private void setattr(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = readHandle(args);
        SetAttributes a;
        Long guard = null;
        try {
            a = readSattr(args);
            if (args.readBoolean()) {
                long s = args.readUnsignedInt();
                long ns = args.readUnsignedInt();
                guard = s * 1_000_000_000L + ns;
            }
        } catch (FsException e) {
            res.writeInt(status(e));
            wcc(res, null, currentOf(fh));
            return;
        }
        args.expectEnd();
        SetAttributes attrs = a;
        Long ctimeGuard = guard;
        changeWithWcc(call, fh, res, t -> fs.setattr(t.caller(), t.ino(), attrs, ctimeGuard));
    }

    /** LOOKUP (§3.3.3). */
    private void lookup(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = readHandle(args);
        String name = readName(args);
        args.expectEnd();
        try {
            Target t = target(call, fh);
            Inode found = lookupIn(t, name);
            res.writeInt(Nfs3.OK);
            res.writeOpaque(handleOf(t.export(), found));
            postOpAttr(res, found);
            postOpAttr(res, t.attributes());
        } catch (RuntimeException e) {
            res.writeInt(status(e));
            postOpAttr(res, currentOf(fh));
        }
    }

    /**
     * LOOKUP's fast path on the event loop: a name in a live directory whose entry and both
     * attributes are in memory, through an export whose rules need no name lookup. ".", "..",
     * ".snapshots" and everything else go to {@link #lookup} on a worker.
     */
    private boolean lookupFromMemory(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = readHandle(args);
        String name = readName(args);
        args.expectEnd();
        if (name.equals(SNAPSHOTS)) {
            return false;
        }
        InMemory m = inMemory(call, fh);
        if (m == null) {
            return false;
        }
        NfsExport export = m.export();
        Inode dir = m.inode();
        Inode found = fs.cachedLookup(caller(call, export), dir, name);
        if (found == null) {
            return false;
        }
        res.writeInt(Nfs3.OK);
        res.writeOpaque(handleOf(export, found));
        postOpAttr(res, found);
        postOpAttr(res, dir);
        return true;
    }

    /** ACCESS (§3.3.4): which of the asked rights the caller has, from the mode bits. */
    private void access(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = readHandle(args);
        int want = args.readInt();
        args.expectEnd();
        try {
            Target t = target(call, fh);
            Inode i = t.attributes();
            Caller c = t.caller();
            boolean dir = i.isDirectory();
            boolean writable = !t.readOnly() && Permissions.allows(i, c, Permissions.WRITE);
            int granted = 0;
            if (Permissions.allows(i, c, Permissions.READ)) {
                granted |= Nfs3.ACCESS_READ;
            }
            if (dir && Permissions.allows(i, c, Permissions.EXECUTE)) {
                granted |= Nfs3.ACCESS_LOOKUP;
            }
            if (writable) {
                granted |= Nfs3.ACCESS_MODIFY | Nfs3.ACCESS_EXTEND;
                if (dir && Permissions.allows(i, c, Permissions.EXECUTE)) {
                    granted |= Nfs3.ACCESS_DELETE;
                }
            }
            if (!dir && Permissions.allows(i, c, Permissions.EXECUTE)) {
                granted |= Nfs3.ACCESS_EXECUTE;
            }
            res.writeInt(Nfs3.OK);
            postOpAttr(res, i);
            res.writeInt(granted & want);
        } catch (RuntimeException e) {
            res.writeInt(status(e));
            postOpAttr(res, currentOf(fh));
        }
    }

    /** READLINK (§3.3.5). */
    private void readlink(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = readHandle(args);
        args.expectEnd();
        try {
            Target t = target(call, fh);
            byte[] target = t.vfs().readlink(t.caller(), t.ino());
            res.writeInt(Nfs3.OK);
            postOpAttr(res, t.attributes());
            res.writeOpaque(target);
        } catch (RuntimeException e) {
            res.writeInt(status(e));
            postOpAttr(res, currentOf(fh));
        }
    }

    /** READ (§3.3.6): at most rtmax bytes; eof when the data reaches the end of the file. */
    private void read(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = readHandle(args);
        long offset = args.readHyper();
        long count = args.readUnsignedInt();
        args.expectEnd();
        ByteBuf buf = null;
        try {
            Target t = target(call, fh);
            int want = (int) Math.min(count, Nfs3.MAX_IO);
            // the volume reads straight into a pooled direct buffer that goes to the socket as it is
            int room = VirtualFileSystem.readRoom(want);
            buf = res.alloc().directBuffer(room, room);
            ReadResult r = t.vfs().read(t.caller(), t.ino(), offset, want, buf.nioBuffer(0, room));
            ByteBuf payload = buf;
            buf = null;
            readOk(res, r, payload);
        } catch (RuntimeException e) {
            res.writeInt(status(e));
            postOpAttr(res, currentOf(fh));
        } finally {
            if (buf != null) {
                buf.release();
            }
        }
    }

    /** READ3resok: {@code r}'s data is a view of {@code buf}, which goes to the reply as it is (taking ownership of it). */
    private void readOk(XdrWriter res, ReadResult r, ByteBuf buf) {
        ByteBuffer data = r.data();
        buf.setIndex(data.position(), data.limit());
        res.writeInt(Nfs3.OK);
        postOpAttr(res, r.attributes());
        res.writeInt(data.remaining());
        res.writeBoolean(r.eof());
        res.writeOpaque(buf);
    }

    /**
     * READ's fast path on the event loop, tried when the connection is idle (one call in flight,
     * where the two thread handoffs of a worker are a large part of a 1 MiB READ's round trip): a
     * live file whose attributes, open file, mappings and data are in memory, the data in the OS
     * page cache, through an export whose rules need no name lookup. Anything else (errors
     * included) goes to {@link #read} on a worker.
     */
    private boolean readFromMemory(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = readHandle(args);
        long offset = args.readHyper();
        long count = args.readUnsignedInt();
        args.expectEnd();
        InMemory m = inMemory(call, fh);
        if (m == null) {
            return false;
        }
        int want = (int) Math.min(count, Nfs3.MAX_IO);
        int room = VirtualFileSystem.readRoom(want);
        ByteBuf buf = res.alloc().directBuffer(room, room);
        ReadResult r = fs.readFromMemory(caller(call, m.export()), m.inode().ino(), offset, want, buf.nioBuffer(0, room));
        if (r == null) {
            buf.release();
            return false;
        }
        readOk(res, r, buf);
        return true;
    }

    /** WRITE (§3.3.7). */
    private void write(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = readHandle(args);
        long offset = args.readHyper();
        long count = args.readUnsignedInt();
        int stable = args.readInt();
        // any length the record limit let through: more than wtmax is written short (below)
        ByteBuf data = args.readOpaqueSlice(Integer.MAX_VALUE);
        args.expectEnd();
        try {
            if (count > data.readableBytes()) {
                throw new FsException.Invalid("count " + count + " with " + data.readableBytes() + " bytes of data");
            }
            // RFC 1813 §3.3.7: the reply's count may be less than asked; the client sends the rest again
            count = Math.min(count, Nfs3.MAX_IO);
            Stability how = switch (stable) {
                case Nfs3.UNSTABLE -> Stability.UNSTABLE;
                case Nfs3.DATA_SYNC -> Stability.DATA_SYNC;
                case Nfs3.FILE_SYNC -> Stability.FILE_SYNC;
                default -> throw new FsException.Invalid("stable_how " + stable);
            };
            Target t = target(call, fh);
            t.requireWritable();
            WriteResult w = t.vfs().write(t.caller(), t.ino(), offset, data.nioBuffer(data.readerIndex(), (int) count), how);
            res.writeInt(Nfs3.OK);
            wcc(res, w.file());
            res.writeInt(w.count());
            res.writeInt(switch (w.committed()) {
                case UNSTABLE -> Nfs3.UNSTABLE;
                case DATA_SYNC -> Nfs3.DATA_SYNC;
                case FILE_SYNC -> Nfs3.FILE_SYNC;
            });
            res.writeHyper(writeVerifier);
        } catch (RuntimeException e) {
            res.writeInt(status(e));
            wcc(res, null, currentOf(fh));
        }
    }

    /** The common result of CREATE, MKDIR, SYMLINK, MKNOD: post_op_fh3, post_op_attr, wcc_data. */
    private void created(XdrWriter res, NfsExport export, Created c) {
        res.writeInt(Nfs3.OK);
        postOpHandle(res, export, c.object());
        postOpAttr(res, c.object());
        wcc(res, c.directory());
    }

    private interface Maker {
        Created make(Target dir, String name);
    }

    private void makeObject(RpcCall call, byte[] fh, String name, XdrWriter res, Maker maker) {
        try {
            Target t = target(call, fh);
            t.requireWritable();
            t.checkNewName(name);
            created(res, t.export(), maker.make(t, name));
        } catch (RuntimeException e) {
            res.writeInt(status(e));
            wcc(res, null, currentOf(fh));
        }
    }

    /** CREATE (§3.3.8). */
    private void create(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = readHandle(args);
        String name = readName(args);
        CreateHow how;
        try {
            how = readCreateHow(args);
        } catch (FsException e) {
            res.writeInt(status(e));
            wcc(res, null, currentOf(fh));
            return;
        }
        args.expectEnd();
        makeObject(call, fh, name, res, (t, n) -> t.vfs().create(t.caller(), t.ino(), n, how.attrs(), how.mode(), how.verifier()));
    }

    /** createhow3 (§3.3.8): the mode with its attributes (UNCHECKED, GUARDED) or its verifier (EXCLUSIVE). */
    private record CreateHow(CreateMode mode, SetAttributes attrs, long verifier) {}

    /** Decodes createhow3; an unknown mode is GARBAGE_ARGS, invalid attributes an {@link FsException}. */
    private CreateHow readCreateHow(XdrReader args) {
        int how = args.readInt();
        return switch (how) {
            case Nfs3.UNCHECKED -> new CreateHow(CreateMode.UNCHECKED, readSattr(args), 0);
            case Nfs3.GUARDED -> new CreateHow(CreateMode.GUARDED, readSattr(args), 0);
            case Nfs3.EXCLUSIVE -> new CreateHow(CreateMode.EXCLUSIVE, SetAttributes.NONE, args.readHyper());
            default -> throw RpcErrorException.garbageArgs("createmode3 " + how);
        };
    }

    /**
     * A live directory in memory that the caller may change through its export, for the event
     * loop's CREATE and REMOVE; null when the worker must answer (as {@link #inMemory}, or a
     * read-only export).
     */
    private InMemory writableInMemory(RpcCall call, byte[] fh) {
        InMemory m = inMemory(call, fh);
        if (m == null || NfsExportTable.access(m.export(), call.remote().getAddress()) != NfsExportTable.Access.READ_WRITE) {
            return null;
        }
        return m;
    }

    /** The gate of a reply that reports namespace change {@code ticket}: open once it is durable (§4.7). */
    private RpcDeferredHandler.Gate durable(long ticket) {
        return release -> fs.whenDurable(ticket, release::release);
    }

    /**
     * CREATE's fast path on the event loop: a file made in (or found in) a live directory whose
     * entry or absence and attributes are in memory, with no size to set, through an export that
     * lets the client write and needs no name lookup. The reply waits until the change is
     * durable. Anything else (errors included) goes to {@link #create} on a worker.
     */
    private RpcDeferredHandler.Gate createFromMemory(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = readHandle(args);
        String name = readName(args);
        CreateHow how = readCreateHow(args); // anything it refuses is answered by the worker
        args.expectEnd();
        InMemory m = writableInMemory(call, fh);
        if (m == null || (m.inode().ino() == exports.root(m.export()) && name.equals(SNAPSHOTS))) {
            return null;
        }
        Datastore.Pending<Created> p = fs.tryCreate(caller(call, m.export()), m.inode().ino(), name, how.attrs(), how.mode(), how.verifier());
        if (p == null) {
            return null;
        }
        created(res, m.export(), p.result());
        return durable(p.ticket());
    }

    /** MKDIR (§3.3.9). */
    private void mkdir(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = readHandle(args);
        String name = readName(args);
        SetAttributes a;
        try {
            a = readSattr(args);
        } catch (FsException e) {
            res.writeInt(status(e));
            wcc(res, null, currentOf(fh));
            return;
        }
        args.expectEnd();
        makeObject(call, fh, name, res, (t, n) -> t.vfs().mkdir(t.caller(), t.ino(), n, a));
    }

    /** SYMLINK (§3.3.10). */
    private void symlink(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = readHandle(args);
        String name = readName(args);
        SetAttributes a;
        try {
            a = readSattr(args);
        } catch (FsException e) {
            res.writeInt(status(e));
            wcc(res, null, currentOf(fh));
            return;
        }
        byte[] target = args.readOpaque(Nfs3.MAX_PATH);
        args.expectEnd();
        makeObject(call, fh, name, res, (t, n) -> t.vfs().symlink(t.caller(), t.ino(), n, target, a));
    }

    /** MKNOD (§3.3.11): sockets and FIFOs; devices and every other type are NFS3ERR_BADTYPE (see Datastore#mknod). */
    private void mknod(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = readHandle(args);
        String name = readName(args);
        int code = args.readInt();
        FileType type = FileType.ofCode(code);
        SetAttributes a = SetAttributes.NONE;
        int major = 0;
        int minor = 0;
        try {
            if (type == FileType.CHAR_DEVICE || type == FileType.BLOCK_DEVICE) {
                a = readSattr(args);
                major = args.readInt();
                minor = args.readInt();
            } else if (type == FileType.SOCKET || type == FileType.FIFO) {
                a = readSattr(args);
            }
        } catch (FsException e) {
            res.writeInt(status(e));
            wcc(res, null, currentOf(fh));
            return;
        }
        args.expectEnd();
        if (type == null) {
            res.writeInt(Nfs3.ERR_BADTYPE);
            wcc(res, null, currentOf(fh));
            return;
        }
        SetAttributes attrs = a;
        int maj = major;
        int min = minor;
        makeObject(call, fh, name, res, (t, n) -> t.vfs().mknod(t.caller(), t.ino(), n, type, maj, min, attrs));
    }

    /** REMOVE (§3.3.12). */
    private void remove(RpcCall call, XdrReader args, XdrWriter res) {
        unlink(call, args, res, (t, name) -> t.vfs().remove(t.caller(), t.ino(), name));
    }

    /**
     * REMOVE's fast path on the event loop: a name in a live directory whose entry and
     * attributes are in memory, of a file with no volume left to delete, through an export that
     * lets the client write and needs no name lookup. The reply waits until the removal is
     * durable. Anything else (errors included) goes to {@link #remove} on a worker.
     */
    private RpcDeferredHandler.Gate removeFromMemory(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = readHandle(args);
        String name = readName(args);
        args.expectEnd();
        InMemory m = writableInMemory(call, fh);
        if (m == null) {
            return null;
        }
        Datastore.Pending<Change> p = fs.tryRemove(caller(call, m.export()), m.inode().ino(), name);
        if (p == null) {
            return null;
        }
        res.writeInt(Nfs3.OK);
        wcc(res, p.result());
        return durable(p.ticket());
    }

    /** RMDIR (§3.3.13). */
    private void rmdir(RpcCall call, XdrReader args, XdrWriter res) {
        unlink(call, args, res, (t, name) -> t.vfs().rmdir(t.caller(), t.ino(), name));
    }

    private interface Unlink {
        Change apply(Target t, String name);
    }

    /** REMOVE and RMDIR share their arguments (directory handle, name) and their wcc reply. */
    private void unlink(RpcCall call, XdrReader args, XdrWriter res, Unlink op) {
        byte[] fh = readHandle(args);
        String name = readName(args);
        args.expectEnd();
        changeWithWcc(call, fh, res, t -> op.apply(t, name));
    }

    /**
     * A change to the object behind {@code fh} whose reply is a status and wcc data: the change's
     * before/after attributes on success, the object's current attributes on failure.
     */
    private void changeWithWcc(RpcCall call, byte[] fh, XdrWriter res, java.util.function.Function<Target, Change> change) {
        try {
            Target t = target(call, fh);
            t.requireWritable();
            Change c = change.apply(t);
            res.writeInt(Nfs3.OK);
            wcc(res, c);
        } catch (RuntimeException e) {
            res.writeInt(status(e));
            wcc(res, null, currentOf(fh));
        }
    }

    /** RENAME (§3.3.14): within one export (NFS3ERR_XDEV across exports). */
    private void rename(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fromFh = readHandle(args);
        String fromName = readName(args);
        byte[] toFh = readHandle(args);
        String toName = readName(args);
        args.expectEnd();
        try {
            Target from = target(call, fromFh);
            Target to = target(call, toFh);
            if (from.export().id() != to.export().id()) {
                throw new FsException.CrossDevice("rename across exports");
            }
            from.requireWritable();
            to.requireWritable();
            to.checkNewName(toName);
            from.checkNewName(fromName); // the snapshot directory cannot be renamed away either
            Renamed r = from.vfs().rename(from.caller(), from.ino(), fromName, to.ino(), toName);
            res.writeInt(Nfs3.OK);
            wcc(res, r.from());
            wcc(res, r.to());
        } catch (RuntimeException e) {
            res.writeInt(status(e));
            wcc(res, null, currentOf(fromFh));
            wcc(res, null, currentOf(toFh));
        }
    }

    /** LINK (§3.3.15). */
    private void link(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fileFh = readHandle(args);
        byte[] dirFh = readHandle(args);
        String name = readName(args);
        args.expectEnd();
        try {
            Target file = target(call, fileFh);
            Target dir = target(call, dirFh);
            if (file.export().id() != dir.export().id()) {
                throw new FsException.CrossDevice("link across exports");
            }
            dir.requireWritable();
            dir.checkNewName(name);
            Linked l = dir.vfs().link(dir.caller(), file.ino(), dir.ino(), name);
            res.writeInt(Nfs3.OK);
            postOpAttr(res, l.file());
            wcc(res, l.directory());
        } catch (RuntimeException e) {
            res.writeInt(status(e));
            postOpAttr(res, currentOf(fileFh));
            wcc(res, null, currentOf(dirFh));
        }
    }

    private static int nameBytes(String name) {
        return XdrReader.padded(name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
    }

    /** READDIR (§3.3.16): as many entries as fit in {@code count} bytes of reply. */
    private void readdir(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = readHandle(args);
        long cookie = args.readHyper();
        long verifier = args.readHyper();
        long count = args.readUnsignedInt();
        args.expectEnd();
        try {
            Target t = target(call, fh);
            checkVerifier(t, cookie, verifier);
            int budget = (int) Math.min(count, Nfs3.MAX_IO) - (4 + 88 + 8 + 8); // status, dir attributes, verifier, list end + eof
            int max = Math.max(1, budget / 24);
            DirPage page = t.vfs().readdir(t.caller(), t.ino(), cookie, Math.min(max, 4096), false);
            int used = 0;
            int n = 0;
            for (DirEntry e : page.entries()) {
                int size = 4 + 8 + 4 + nameBytes(e.name()) + 8; // value follows, fileid, name, cookie
                if (used + size > budget) {
                    break;
                }
                used += size;
                n++;
            }
            if (n == 0 && !page.entries().isEmpty()) {
                throw new TooSmall();
            }
            res.writeInt(Nfs3.OK);
            postOpAttr(res, t.attributes());
            res.writeHyper(t.vfs().cookieVerifier(t.ino()));
            for (int i = 0; i < n; i++) {
                DirEntry e = bounded(t, page.entries().get(i));
                res.writeBoolean(true).writeHyper(e.ino()).writeString(e.name()).writeHyper(e.cookie());
            }
            res.writeBoolean(false);
            res.writeBoolean(page.eof() && n == page.entries().size());
        } catch (TooSmall e) {
            res.writeInt(Nfs3.ERR_TOOSMALL);
            postOpAttr(res, currentOf(fh));
        } catch (RuntimeException e) {
            res.writeInt(status(e));
            postOpAttr(res, currentOf(fh));
        }
    }

    private static final class TooSmall extends RuntimeException {
        TooSmall() { super("reply too small", null, false, false); }
    }

    /** A non-zero verifier with a resumed listing must be the directory's (§3.3.16); zero is what clients send first. */
    private void checkVerifier(Target t, long cookie, long verifier) {
        if (cookie != 0 && verifier != 0 && verifier != t.vfs().cookieVerifier(t.ino())) {
            throw new FsException.BadCookie("cookie verifier " + Long.toHexString(verifier));
        }
    }

    /** READDIRPLUS (§3.3.17): entries with attributes and handles, within dircount and maxcount. */
    private void readdirplus(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = readHandle(args);
        long cookie = args.readHyper();
        long verifier = args.readHyper();
        long dircount = args.readUnsignedInt();
        long maxcount = args.readUnsignedInt();
        args.expectEnd();
        try {
            Target t = target(call, fh);
            checkVerifier(t, cookie, verifier);
            int budget = (int) Math.min(maxcount, Nfs3.MAX_IO) - (4 + 88 + 8 + 8);
            int max = Math.max(1, budget / 150);
            DirPage page = t.vfs().readdir(t.caller(), t.ino(), cookie, Math.min(max, 4096), true);
            int used = 0;
            int dirUsed = 0;
            int n = 0;
            for (DirEntry e : page.entries()) {
                int dirSize = 8 + 4 + nameBytes(e.name()) + 8;
                int size = 4 + dirSize + 4 + 84 + 4 + 4 + XdrReader.padded(FileHandle.LENGTH);
                if (used + size > budget || (dircount > 0 && dirUsed + dirSize > dircount)) {
                    break;
                }
                used += size;
                dirUsed += dirSize;
                n++;
            }
            if (n == 0 && !page.entries().isEmpty()) {
                throw new TooSmall();
            }
            res.writeInt(Nfs3.OK);
            postOpAttr(res, t.attributes());
            res.writeHyper(t.vfs().cookieVerifier(t.ino()));
            for (int i = 0; i < n; i++) {
                DirEntry e = bounded(t, page.entries().get(i));
                res.writeBoolean(true).writeHyper(e.ino()).writeString(e.name()).writeHyper(e.cookie());
                postOpAttr(res, e.attributes());
                postOpHandle(res, t.export(), e.attributes());
            }
            res.writeBoolean(false);
            res.writeBoolean(page.eof() && n == page.entries().size());
        } catch (TooSmall e) {
            res.writeInt(Nfs3.ERR_TOOSMALL);
            postOpAttr(res, currentOf(fh));
        } catch (RuntimeException e) {
            res.writeInt(status(e));
            postOpAttr(res, currentOf(fh));
        }
    }

    /** FSSTAT (§3.3.18): the pool's space. */
    private void fsstat(RpcCall call, XdrReader args, XdrWriter res) {
        fileSystemQuery(call, args, res, t -> {
            FsStats s = t.vfs().fsstat();
            return out -> {
                out.writeHyper(s.totalBytes()).writeHyper(s.freeBytes()).writeHyper(s.availableBytes());
                out.writeHyper(s.totalFiles()).writeHyper(s.freeFiles()).writeHyper(s.freeFiles());
                out.writeInt(0); // invarsec: the figures change at any time
            };
        });
    }

    /** FSINFO (§3.3.19). */
    private void fsinfo(RpcCall call, XdrReader args, XdrWriter res) {
        fileSystemQuery(call, args, res, t -> out -> {
            out.writeInt(Nfs3.MAX_IO).writeInt(Nfs3.MAX_IO).writeInt(4096); // rtmax, rtpref, rtmult
            out.writeInt(Nfs3.MAX_IO).writeInt(Nfs3.MAX_IO).writeInt(4096); // wtmax, wtpref, wtmult
            out.writeInt(64 * 1024); // dtpref
            out.writeHyper(Datastore.MAX_FILE_SIZE);
            out.writeInt(0).writeInt(1000); // time_delta: microseconds are what the clock gives
            out.writeInt(Nfs3.FSF_LINK | Nfs3.FSF_SYMLINK | Nfs3.FSF_HOMOGENEOUS | Nfs3.FSF_CANSETTIME);
        });
    }

    /** PATHCONF (§3.3.20). */
    private void pathconf(RpcCall call, XdrReader args, XdrWriter res) {
        fileSystemQuery(call, args, res, t -> out -> {
            out.writeInt(Datastore.MAX_LINKS).writeInt(Datastore.MAX_NAME_BYTES);
            out.writeBoolean(true);  // no_trunc: long names are refused, not cut
            out.writeBoolean(true);  // chown_restricted
            out.writeBoolean(false); // case_insensitive
            out.writeBoolean(true);  // case_preserving
        });
    }

    /**
     * FSSTAT, FSINFO and PATHCONF: a handle in, status + post-op attributes + fixed fields out.
     * {@code query} does everything that can fail before OK is written and returns the writer of
     * the fields; on failure the reply is the status and the object's current attributes.
     */
    private void fileSystemQuery(RpcCall call, XdrReader args, XdrWriter res,
                                 java.util.function.Function<Target, java.util.function.Consumer<XdrWriter>> query) {
        byte[] fh = readHandle(args);
        args.expectEnd();
        try {
            Target t = target(call, fh);
            java.util.function.Consumer<XdrWriter> fields = query.apply(t);
            res.writeInt(Nfs3.OK);
            postOpAttr(res, t.attributes());
            fields.accept(res);
        } catch (RuntimeException e) {
            res.writeInt(status(e));
            postOpAttr(res, currentOf(fh));
        }
    }

    /** COMMIT (§3.3.21): flushes the whole file (offset and count are hints). */
    private void commit(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = readHandle(args);
        args.readHyper();
        args.readUnsignedInt();
        args.expectEnd();
        try {
            Target t = target(call, fh);
            Change c = t.vfs().commit(t.ino());
            res.writeInt(Nfs3.OK);
            wcc(res, c);
            res.writeHyper(writeVerifier);
        } catch (RuntimeException e) {
            res.writeInt(status(e));
            wcc(res, null, currentOf(fh));
        }
    }
}
