package io.depot.nfs.nfs3;

import io.depot.nfs.fs.Caller;
import io.depot.nfs.fs.Change;
import io.depot.nfs.fs.Created;
import io.depot.nfs.fs.Datastore;
import io.depot.nfs.fs.DirEntry;
import io.depot.nfs.fs.DirPage;
import io.depot.nfs.fs.FsException;
import io.depot.nfs.fs.FsStats;
import io.depot.nfs.fs.Inode;
import io.depot.nfs.fs.Linked;
import io.depot.nfs.fs.Permissions;
import io.depot.nfs.fs.PlannedRead;
import io.depot.nfs.fs.ReadResult;
import io.depot.nfs.fs.Renamed;
import io.depot.nfs.fs.SetAttributes;
import io.depot.nfs.fs.Stability;
import io.depot.nfs.fs.VirtualFileSystem;
import io.depot.nfs.fs.WriteResult;
import io.depot.nfs.nfs3.Nfs3Targets.Target;
import io.depot.nfs.rpc.RpcCall;
import io.depot.nfs.rpc.RpcHandler;
import io.depot.nfs.rpc.RpcProgram;
import io.depot.nfs.xdr.XdrReader;
import io.depot.nfs.xdr.XdrWriter;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * NFS version 3 (RFC 1813) over a {@link Datastore}: decodes arguments ({@link Nfs3Args}), finds
 * the export and caller ({@link Nfs3Targets}), calls the file system, encodes results
 * ({@link Nfs3Replies}). Every failure of the file system is an {@link FsException} whose class
 * picks the status ({@link NfsStatus}); one place ({@link #onHandle}) answers it with the failure
 * arm RFC 1813 gives the result (post-op attributes or wcc data), so procedures only translate. GETATTR, LOOKUP, READ, CREATE and REMOVE are first tried
 * on the event loop ({@link Nfs3FastPaths}).
 */
public final class Nfs3Program {
    /** The name under an export's directory where its snapshots are (never listed, always found). */
    static final String SNAPSHOTS = ".snapshots";

    private final Datastore fs;
    private final Nfs3Targets targets;
    private final Nfs3Replies replies;
    private final Nfs3FastPaths fastPaths;
    /** Changes every start, so clients know to resend writes that were never committed (§3.3.7). */
    private final long writeVerifier = new SecureRandom().nextLong();

    public Nfs3Program(Datastore fs, NfsExportTable exports, long fsid) {
        this.fs = fs;
        this.targets = new Nfs3Targets(fs, exports);
        this.replies = new Nfs3Replies(fs, exports.handles(), fsid);
        this.fastPaths = new Nfs3FastPaths(fs.fastPath(), exports, replies, writeVerifier);
    }

    public long writeVerifier() { return writeVerifier; }

    public RpcProgram program() {
        int v = Nfs3.VERSION;
        return RpcProgram.builder(Nfs3.PROGRAM, "nfs")
                .procedure(v, Nfs3.PROC_NULL, "NULL", (call, args, res) -> args.expectEnd())
                .procedure(v, Nfs3.PROC_GETATTR, "GETATTR", onHandle(Failure.STATUS, this::getattr), fastPaths::getattrFromMemory)
                .nonIdempotentProcedure(v, Nfs3.PROC_SETATTR, "SETATTR", onHandle(Failure.WCC, this::setattr), fastPaths::setattrFromMemory)
                .procedure(v, Nfs3.PROC_LOOKUP, "LOOKUP", onHandle(Failure.ATTRIBUTES, this::lookup), fastPaths::lookupFromMemory)
                .procedure(v, Nfs3.PROC_ACCESS, "ACCESS", onHandle(Failure.ATTRIBUTES, this::access))
                .procedure(v, Nfs3.PROC_READLINK, "READLINK", onHandle(Failure.ATTRIBUTES, this::readlink))
                .procedureQuickWhenIdle(v, Nfs3.PROC_READ, "READ", onHandle(Failure.ATTRIBUTES, this::read), fastPaths::readFromMemory)
                .procedureQuickWhenIdle(v, Nfs3.PROC_WRITE, "WRITE", onHandle(Failure.WCC, this::write), fastPaths::writeFromMemory)
                .nonIdempotentProcedure(v, Nfs3.PROC_CREATE, "CREATE", onHandle(Failure.WCC, this::create), fastPaths::createFromMemory)
                .nonIdempotentProcedure(v, Nfs3.PROC_MKDIR, "MKDIR", onHandle(Failure.WCC, this::mkdir))
                .nonIdempotentProcedure(v, Nfs3.PROC_SYMLINK, "SYMLINK", onHandle(Failure.WCC, this::symlink))
                .nonIdempotentProcedure(v, Nfs3.PROC_MKNOD, "MKNOD", onHandle(Failure.WCC, this::mknod))
                .nonIdempotentProcedure(v, Nfs3.PROC_REMOVE, "REMOVE", onHandle(Failure.WCC, this::remove), fastPaths::removeFromMemory)
                .nonIdempotentProcedure(v, Nfs3.PROC_RMDIR, "RMDIR", onHandle(Failure.WCC, this::rmdir))
                .nonIdempotentProcedure(v, Nfs3.PROC_RENAME, "RENAME", this::rename)
                .nonIdempotentProcedure(v, Nfs3.PROC_LINK, "LINK", this::link)
                .procedure(v, Nfs3.PROC_READDIR, "READDIR", onHandle(Failure.ATTRIBUTES, this::readdir))
                .procedure(v, Nfs3.PROC_READDIRPLUS, "READDIRPLUS", onHandle(Failure.ATTRIBUTES, this::readdirplus))
                .procedure(v, Nfs3.PROC_FSSTAT, "FSSTAT", onHandle(Failure.ATTRIBUTES, this::fsstat))
                .procedure(v, Nfs3.PROC_FSINFO, "FSINFO", onHandle(Failure.ATTRIBUTES, this::fsinfo))
                .procedure(v, Nfs3.PROC_PATHCONF, "PATHCONF", onHandle(Failure.ATTRIBUTES, this::pathconf))
                .procedure(v, Nfs3.PROC_COMMIT, "COMMIT", onHandle(Failure.WCC, this::commit))
                .build();
    }


    // ------------------------------------------------------------------ failures

    /** What a failed result carries after its status (RFC 1813 gives each procedure's resfail arm). */
    private enum Failure {
        /** Nothing (GETATTR). */
        STATUS,
        /** post_op_attr: the object's current attributes. */
        ATTRIBUTES,
        /** wcc_data: no pre-op attributes, the object's current ones after. */
        WCC
    }

    /** A procedure whose arguments start with the handle of the object its failed result describes. */
    @FunctionalInterface
    private interface OnHandle {
        void run(RpcCall call, byte[] fh, XdrReader args, XdrWriter res);
    }

    /**
     * The one place a procedure's failure becomes its reply: the status {@link NfsStatus} picks,
     * then the {@code failure} arm for the object {@code fh} names. Any other exception (malformed
     * arguments: GARBAGE_ARGS) goes up to the RPC layer with nothing written. Made once per
     * procedure when the program is built, so a call allocates nothing here.
     */
    private RpcHandler onHandle(Failure failure, OnHandle procedure) {
        return (call, args, res) -> {
            byte[] fh = Nfs3Args.readHandle(args);
            try {
                procedure.run(call, fh, args, res);
            } catch (RuntimeException e) {
                res.writeInt(NfsStatus.of(e));
                failureArm(res, failure, fh);
            }
        };
    }

    /** What a failed result carries after its status about the object {@code fh} names, as it is now. */
    private void failureArm(XdrWriter res, Failure failure, byte[] fh) {
        switch (failure) {
            case STATUS -> { }
            case ATTRIBUTES -> replies.postOpAttr(res, targets.currentOf(fh));
            case WCC -> replies.wcc(res, null, targets.currentOf(fh));
        }
    }


    // ------------------------------------------------------------------ procedures

    /** GETATTR (§3.3.1). */
    private void getattr(RpcCall call, byte[] fh, XdrReader args, XdrWriter res) {
        args.expectEnd();
        Target t = targets.target(call, fh);
        res.writeInt(Nfs3.OK);
        replies.fattr(res, t.attributes());
    }

    /** SETATTR (§3.3.2): invalid attributes are answered before the guard is read. */
    private void setattr(RpcCall call, byte[] fh, XdrReader args, XdrWriter res) {
        SetAttributes attrs = Nfs3Args.readSattr(args);
        Long ctimeGuard = Nfs3Args.readGuard(args);
        args.expectEnd();
        Target t = targets.target(call, fh);
        t.requireWritable();
        Change c = fs.setattr(t.caller(), t.ino(), attrs, ctimeGuard);
        res.writeInt(Nfs3.OK);
        replies.wcc(res, c);
    }

    /** LOOKUP (§3.3.3). */
    private void lookup(RpcCall call, byte[] fh, XdrReader args, XdrWriter res) {
        String name = Nfs3Args.readName(args);
        args.expectEnd();
        Target t = targets.target(call, fh);
        Inode found = targets.lookupIn(t, name);
        res.writeInt(Nfs3.OK);
        res.writeOpaque(replies.handleOf(t.export(), found));
        replies.postOpAttr(res, found);
        replies.postOpAttr(res, t.attributes());
    }

    /** ACCESS (§3.3.4): which of the asked rights the caller has, from the mode bits. */
    private void access(RpcCall call, byte[] fh, XdrReader args, XdrWriter res) {
        int want = args.readInt();
        args.expectEnd();
        Target t = targets.target(call, fh);
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
        replies.postOpAttr(res, i);
        res.writeInt(granted & want);
    }

    /** READLINK (§3.3.5). */
    private void readlink(RpcCall call, byte[] fh, XdrReader args, XdrWriter res) {
        args.expectEnd();
        Target t = targets.target(call, fh);
        byte[] target = t.vfs().readlink(t.caller(), t.ino());
        res.writeInt(Nfs3.OK);
        replies.postOpAttr(res, t.attributes());
        res.writeOpaque(target);
    }

    /** READ (§3.3.6): at most rtmax bytes; eof when the data reaches the end of the file. */
    private void read(RpcCall call, byte[] fh, XdrReader args, XdrWriter res) {
        long offset = args.readHyper();
        long count = args.readUnsignedInt();
        args.expectEnd();
        Target t = targets.target(call, fh);
        int want = (int) Math.min(count, Nfs3.MAX_IO);
        if (want >= PlanBuffers.MIN_BYTES && res.acceptsTrailer()) { // no copy of ours: the data file's mapped pages go to the socket
            PlannedRead planned = t.vfs().plan(t.caller(), t.ino(), offset, want);
            if (planned != null) {
                replies.readPlanned(res, planned);
                return;
            }
        }
        // the volume reads straight into a pooled direct buffer that goes to the socket as it is
        int room = VirtualFileSystem.readRoom(want);
        ByteBuf buf = res.alloc().directBuffer(room, room);
        try {
            ReadResult r = t.vfs().read(t.caller(), t.ino(), offset, want, buf.nioBuffer(0, room));
            ByteBuf payload = buf;
            buf = null;
            replies.readOk(res, r, payload);
        } finally {
            if (buf != null) {
                buf.release();
            }
        }
    }

    /** WRITE (§3.3.7). */
    private void write(RpcCall call, byte[] fh, XdrReader args, XdrWriter res) {
        long offset = args.readHyper();
        long count = args.readUnsignedInt();
        int stable = args.readInt();
        // any length the record limit let through: more than wtmax is written short (below)
        ByteBuf data = args.readOpaqueSlice(Integer.MAX_VALUE);
        args.expectEnd();
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
        Target t = targets.target(call, fh);
        t.requireWritable();
        int n = (int) count;
        if (data.nioBufferCount() == 1) { // the record as received: written from where it lies
            replies.written(res, t.vfs().write(t.caller(), t.ino(), offset, data.nioBuffer(data.readerIndex(), n), how), writeVerifier);
            return;
        }
        // a record that came in fragments: gathered once into a pooled direct buffer, where
        // nioBuffer() would merge it into a fresh heap buffer the JDK then copies again
        ByteBuf merged = res.alloc().directBuffer(n, n);
        try {
            merged.writeBytes(data, data.readerIndex(), n);
            replies.written(res, t.vfs().write(t.caller(), t.ino(), offset, merged.nioBuffer(0, n), how), writeVerifier);
        } finally {
            merged.release();
        }
    }

    /** The arguments after a new object's directory and name; invalid attributes throw an {@link FsException}. */
    @FunctionalInterface
    private interface HowReader<A> {
        A read(XdrReader args);
    }

    @FunctionalInterface
    private interface Maker<A> {
        Created make(Target dir, String name, A how);
    }

    /**
     * CREATE, MKDIR, SYMLINK and MKNOD: a directory handle, a name, how to make the object (all
     * read before anything is looked up), then the object made in a directory the caller may
     * change. Non-capturing {@code reader} and {@code maker} cost no allocation per call.
     */
    private <A> void makeObject(RpcCall call, byte[] fh, XdrReader args, XdrWriter res, HowReader<A> reader, Maker<A> maker) {
        String name = Nfs3Args.readName(args);
        A how = reader.read(args);
        args.expectEnd();
        Target t = targets.target(call, fh);
        t.requireWritable();
        t.checkNewName(name);
        replies.created(res, t.export(), maker.make(t, name, how));
    }

    /** CREATE (§3.3.8). */
    private void create(RpcCall call, byte[] fh, XdrReader args, XdrWriter res) {
        makeObject(call, fh, args, res, Nfs3Args::readCreateHow,
                (t, n, how) -> t.vfs().create(t.caller(), t.ino(), n, how.attrs(), how.mode(), how.verifier()));
    }

    /** MKDIR (§3.3.9). */
    private void mkdir(RpcCall call, byte[] fh, XdrReader args, XdrWriter res) {
        makeObject(call, fh, args, res, Nfs3Args::readSattr, (t, n, a) -> t.vfs().mkdir(t.caller(), t.ino(), n, a));
    }

    /** SYMLINK (§3.3.10). */
    private void symlink(RpcCall call, byte[] fh, XdrReader args, XdrWriter res) {
        makeObject(call, fh, args, res, Nfs3Args::readSymlinkData,
                (t, n, s) -> t.vfs().symlink(t.caller(), t.ino(), n, s.target(), s.attrs()));
    }

    /** MKNOD (§3.3.11): sockets and FIFOs; devices and every other type are NFS3ERR_BADTYPE (see Datastore#mknod). */
    private void mknod(RpcCall call, byte[] fh, XdrReader args, XdrWriter res) {
        makeObject(call, fh, args, res, Nfs3Program::readKnownMknodData,
                (t, n, m) -> t.vfs().mknod(t.caller(), t.ino(), n, m.type(), m.major(), m.minor(), m.attrs()));
    }

    /** mknoddata3 of a type RFC 1813 names; any other is NFS3ERR_BADTYPE once its (void) arm is known to end the arguments. */
    private static Nfs3Args.MknodData readKnownMknodData(XdrReader args) {
        Nfs3Args.MknodData m = Nfs3Args.readMknodData(args);
        if (m.type() == null) {
            args.expectEnd();
            throw new FsException.BadType("no file type " + m.code());
        }
        return m;
    }

    /** REMOVE (§3.3.12). */
    private void remove(RpcCall call, byte[] fh, XdrReader args, XdrWriter res) {
        String name = Nfs3Args.readName(args);
        args.expectEnd();
        changeWithWcc(call, fh, res, t -> t.vfs().remove(t.caller(), t.ino(), name));
    }

    /** RMDIR (§3.3.13). */
    private void rmdir(RpcCall call, byte[] fh, XdrReader args, XdrWriter res) {
        String name = Nfs3Args.readName(args);
        args.expectEnd();
        changeWithWcc(call, fh, res, t -> t.vfs().rmdir(t.caller(), t.ino(), name));
    }

    /** A change to the object behind {@code fh} whose reply is a status and the change's wcc data. */
    private void changeWithWcc(RpcCall call, byte[] fh, XdrWriter res, Function<Target, Change> change) {
        Target t = targets.target(call, fh);
        t.requireWritable();
        Change c = change.apply(t);
        res.writeInt(Nfs3.OK);
        replies.wcc(res, c);
    }

    /** RENAME (§3.3.14): within one export (NFS3ERR_XDEV across exports). */
    private void rename(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fromFh = Nfs3Args.readHandle(args);
        String fromName = Nfs3Args.readName(args);
        byte[] toFh = Nfs3Args.readHandle(args);
        String toName = Nfs3Args.readName(args);
        args.expectEnd();
        inOneExport(call, res, "rename", fromFh, Failure.WCC, toFh, Failure.WCC, (from, to) -> {
            from.requireWritable();
            to.requireWritable();
            to.checkNewName(toName);
            from.checkNewName(fromName); // the snapshot directory cannot be renamed away either
            Renamed r = from.vfs().rename(from.caller(), from.ino(), fromName, to.ino(), toName);
            res.writeInt(Nfs3.OK);
            replies.wcc(res, r.from());
            replies.wcc(res, r.to());
        });
    }

    /** LINK (§3.3.15). */
    private void link(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fileFh = Nfs3Args.readHandle(args);
        byte[] dirFh = Nfs3Args.readHandle(args);
        String name = Nfs3Args.readName(args);
        args.expectEnd();
        inOneExport(call, res, "link", fileFh, Failure.ATTRIBUTES, dirFh, Failure.WCC, (file, dir) -> {
            dir.requireWritable();
            dir.checkNewName(name);
            Linked l = dir.vfs().link(dir.caller(), file.ino(), dir.ino(), name);
            res.writeInt(Nfs3.OK);
            replies.postOpAttr(res, l.file());
            replies.wcc(res, l.directory());
        });
    }

    /**
     * RENAME and LINK: two handles of one export (NFS3ERR_XDEV otherwise); a failure is answered
     * with the status and each object's failure arm, in the order of the handles.
     */
    private void inOneExport(RpcCall call, XdrWriter res, String procedure, byte[] firstFh, Failure firstFailure,
                             byte[] secondFh, Failure secondFailure, BiConsumer<Target, Target> body) {
        try {
            Target first = targets.target(call, firstFh);
            body.accept(first, targets.inSameExport(call, first, secondFh, procedure));
        } catch (RuntimeException e) {
            res.writeInt(NfsStatus.of(e));
            failureArm(res, firstFailure, firstFh);
            failureArm(res, secondFailure, secondFh);
        }
    }

    /** READDIR (§3.3.16): as many entries as fit in {@code count} bytes of reply. */
    private void readdir(RpcCall call, byte[] fh, XdrReader args, XdrWriter res) {
        long cookie = args.readHyper();
        long verifier = args.readHyper();
        long count = args.readUnsignedInt();
        args.expectEnd();
        list(call, fh, cookie, verifier, 0, count, false, res);
    }

    /** READDIRPLUS (§3.3.17): entries with attributes and handles, within dircount and maxcount. */
    private void readdirplus(RpcCall call, byte[] fh, XdrReader args, XdrWriter res) {
        long cookie = args.readHyper();
        long verifier = args.readHyper();
        long dircount = args.readUnsignedInt();
        long maxcount = args.readUnsignedInt();
        args.expectEnd();
        list(call, fh, cookie, verifier, dircount, maxcount, true, res);
    }

    /**
     * READDIR and READDIRPLUS: the entries after {@code cookie} that fit in {@code maxcount}
     * bytes of reply and (READDIRPLUS, when not 0) in {@code dircount} bytes of directory
     * information, each with its attributes and handle when {@code plus}.
     */
    private void list(RpcCall call, byte[] fh, long cookie, long verifier, long dircount, long maxcount, boolean plus,
                      XdrWriter res) {
        Target t = targets.target(call, fh);
        checkVerifier(t, cookie, verifier);
        int budget = (int) Math.min(maxcount, Nfs3.MAX_IO) - (4 + 88 + 8 + 8); // status, dir attributes, verifier, list end + eof
        int max = Math.max(1, budget / (plus ? 150 : 24));
        DirPage page = t.vfs().readdir(t.caller(), t.ino(), cookie, Math.min(max, 4096), plus);
        int used = 0;
        int dirUsed = 0;
        int n = 0;
        for (DirEntry e : page.entries()) {
            int dirSize = 8 + 4 + nameBytes(e.name()) + 8; // fileid, name, cookie
            // value follows, then (READDIRPLUS) post_op_attr and post_op_fh3
            int size = 4 + dirSize + (plus ? 4 + 84 + 4 + 4 + XdrReader.padded(FileHandle.LENGTH) : 0);
            if (used + size > budget || (dircount > 0 && dirUsed + dirSize > dircount)) {
                break;
            }
            used += size;
            dirUsed += dirSize;
            n++;
        }
        if (n == 0 && !page.entries().isEmpty()) {
            throw new NfsStatus.TooSmall();
        }
        res.writeInt(Nfs3.OK);
        replies.postOpAttr(res, t.attributes());
        res.writeHyper(t.vfs().cookieVerifier(t.ino()));
        for (int i = 0; i < n; i++) {
            DirEntry e = targets.bounded(t, page.entries().get(i));
            res.writeBoolean(true).writeHyper(e.ino()).writeString(e.name()).writeHyper(e.cookie());
            if (plus) {
                replies.postOpAttr(res, e.attributes());
                replies.postOpHandle(res, t.export(), e.attributes());
            }
        }
        res.writeBoolean(false);
        res.writeBoolean(page.eof() && n == page.entries().size());
    }

    private static int nameBytes(String name) {
        return XdrReader.padded(name.getBytes(StandardCharsets.UTF_8).length);
    }

    /** A non-zero verifier with a resumed listing must be the directory's (§3.3.16); zero is what clients send first. */
    private void checkVerifier(Target t, long cookie, long verifier) {
        if (cookie != 0 && verifier != 0 && verifier != t.vfs().cookieVerifier(t.ino())) {
            throw new FsException.BadCookie("cookie verifier " + Long.toHexString(verifier));
        }
    }

    /** FSSTAT (§3.3.18): the pool's space. */
    private void fsstat(RpcCall call, byte[] fh, XdrReader args, XdrWriter res) {
        fileSystemQuery(call, fh, args, res, t -> {
            FsStats s = t.vfs().fsstat();
            return out -> {
                out.writeHyper(s.totalBytes()).writeHyper(s.freeBytes()).writeHyper(s.availableBytes());
                out.writeHyper(s.totalFiles()).writeHyper(s.freeFiles()).writeHyper(s.freeFiles());
                out.writeInt(0); // invarsec: the figures change at any time
            };
        });
    }

    /** FSINFO (§3.3.19). */
    private void fsinfo(RpcCall call, byte[] fh, XdrReader args, XdrWriter res) {
        fileSystemQuery(call, fh, args, res, t -> out -> {
            out.writeInt(Nfs3.MAX_IO).writeInt(Nfs3.MAX_IO).writeInt(4096); // rtmax, rtpref, rtmult
            out.writeInt(Nfs3.MAX_IO).writeInt(Nfs3.MAX_IO).writeInt(4096); // wtmax, wtpref, wtmult
            out.writeInt(64 * 1024); // dtpref
            out.writeHyper(Datastore.MAX_FILE_SIZE);
            out.writeInt(0).writeInt(1000); // time_delta: microseconds are what the clock gives
            out.writeInt(Nfs3.FSF_LINK | Nfs3.FSF_SYMLINK | Nfs3.FSF_HOMOGENEOUS | Nfs3.FSF_CANSETTIME);
        });
    }

    /** PATHCONF (§3.3.20). */
    private void pathconf(RpcCall call, byte[] fh, XdrReader args, XdrWriter res) {
        fileSystemQuery(call, fh, args, res, t -> out -> {
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
     * the fields.
     */
    private void fileSystemQuery(RpcCall call, byte[] fh, XdrReader args, XdrWriter res,
                                 Function<Target, Consumer<XdrWriter>> query) {
        args.expectEnd();
        Target t = targets.target(call, fh);
        Consumer<XdrWriter> fields = query.apply(t);
        res.writeInt(Nfs3.OK);
        replies.postOpAttr(res, t.attributes());
        fields.accept(res);
    }

    /** COMMIT (§3.3.21): flushes the whole file (offset and count are hints). */
    private void commit(RpcCall call, byte[] fh, XdrReader args, XdrWriter res) {
        args.readHyper();
        args.readUnsignedInt();
        args.expectEnd();
        Target t = targets.target(call, fh);
        Change c = t.vfs().commit(t.ino());
        res.writeInt(Nfs3.OK);
        replies.wcc(res, c);
        res.writeHyper(writeVerifier);
    }
}
