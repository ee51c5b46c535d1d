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
import io.depot.nfs.fs.WriteResult;
import io.depot.nfs.nfs3.Nfs3Targets.Target;
import io.depot.nfs.rpc.RpcCall;
import io.depot.nfs.rpc.RpcProgram;
import io.depot.nfs.xdr.XdrReader;
import io.depot.nfs.xdr.XdrWriter;
import io.netty.buffer.ByteBuf;
import java.security.SecureRandom;

/**
 * NFS version 3 (RFC 1813) over a {@link Datastore}: decodes arguments ({@link Nfs3Args}), finds
 * the export and caller ({@link Nfs3Targets}), calls the file system, encodes results
 * ({@link Nfs3Replies}). Every failure of the file system is an {@link FsException} whose class
 * picks the status ({@link NfsStatus}); the failure arm of each result carries what RFC 1813 asks
 * for (post-op attributes or wcc data). GETATTR, LOOKUP, READ, CREATE and REMOVE are first tried
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
        this.fastPaths = new Nfs3FastPaths(fs.fastPath(), exports, replies);
    }

    public long writeVerifier() { return writeVerifier; }

    public RpcProgram program() {
        int v = Nfs3.VERSION;
        return RpcProgram.builder(Nfs3.PROGRAM, "nfs")
                .procedure(v, Nfs3.PROC_NULL, "NULL", (call, args, res) -> args.expectEnd())
                .procedure(v, Nfs3.PROC_GETATTR, "GETATTR", this::getattr, fastPaths::getattrFromMemory)
                .nonIdempotentProcedure(v, Nfs3.PROC_SETATTR, "SETATTR", this::setattr)
                .procedure(v, Nfs3.PROC_LOOKUP, "LOOKUP", this::lookup, fastPaths::lookupFromMemory)
                .procedure(v, Nfs3.PROC_ACCESS, "ACCESS", this::access)
                .procedure(v, Nfs3.PROC_READLINK, "READLINK", this::readlink)
                .procedureQuickWhenIdle(v, Nfs3.PROC_READ, "READ", this::read, fastPaths::readFromMemory)
                .procedure(v, Nfs3.PROC_WRITE, "WRITE", this::write)
                .nonIdempotentProcedure(v, Nfs3.PROC_CREATE, "CREATE", this::create, fastPaths::createFromMemory)
                .nonIdempotentProcedure(v, Nfs3.PROC_MKDIR, "MKDIR", this::mkdir)
                .nonIdempotentProcedure(v, Nfs3.PROC_SYMLINK, "SYMLINK", this::symlink)
                .nonIdempotentProcedure(v, Nfs3.PROC_MKNOD, "MKNOD", this::mknod)
                .nonIdempotentProcedure(v, Nfs3.PROC_REMOVE, "REMOVE", this::remove, fastPaths::removeFromMemory)
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


    // ------------------------------------------------------------------ procedures

    /** GETATTR (§3.3.1). */
    private void getattr(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = Nfs3Args.readHandle(args);
        args.expectEnd();
        try {
            Target t = targets.target(call, fh);
            res.writeInt(Nfs3.OK);
            replies.fattr(res, t.attributes());
        } catch (RuntimeException e) {
            res.writeInt(Nfs3Targets.status(e));
        }
    }

    /** SETATTR (§3.3.2). */
    private void setattr(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = Nfs3Args.readHandle(args);
        SetAttributes a;
        Long guard = null;
        try {
            a = Nfs3Args.readSattr(args);
            if (args.readBoolean()) {
                long s = args.readUnsignedInt();
                long ns = args.readUnsignedInt();
                guard = s * 1_000_000_000L + ns;
            }
        } catch (FsException e) {
            res.writeInt(Nfs3Targets.status(e));
            replies.wcc(res, null, targets.currentOf(fh));
            return;
        }
        args.expectEnd();
        SetAttributes attrs = a;
        Long ctimeGuard = guard;
        changeWithWcc(call, fh, res, t -> fs.setattr(t.caller(), t.ino(), attrs, ctimeGuard));
    }

    /** LOOKUP (§3.3.3). */
    private void lookup(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = Nfs3Args.readHandle(args);
        String name = Nfs3Args.readName(args);
        args.expectEnd();
        try {
            Target t = targets.target(call, fh);
            Inode found = targets.lookupIn(t, name);
            res.writeInt(Nfs3.OK);
            res.writeOpaque(replies.handleOf(t.export(), found));
            replies.postOpAttr(res, found);
            replies.postOpAttr(res, t.attributes());
        } catch (RuntimeException e) {
            res.writeInt(Nfs3Targets.status(e));
            replies.postOpAttr(res, targets.currentOf(fh));
        }
    }

    /** ACCESS (§3.3.4): which of the asked rights the caller has, from the mode bits. */
    private void access(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = Nfs3Args.readHandle(args);
        int want = args.readInt();
        args.expectEnd();
        try {
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
        } catch (RuntimeException e) {
            res.writeInt(Nfs3Targets.status(e));
            replies.postOpAttr(res, targets.currentOf(fh));
        }
    }

    /** READLINK (§3.3.5). */
    private void readlink(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = Nfs3Args.readHandle(args);
        args.expectEnd();
        try {
            Target t = targets.target(call, fh);
            byte[] target = t.vfs().readlink(t.caller(), t.ino());
            res.writeInt(Nfs3.OK);
            replies.postOpAttr(res, t.attributes());
            res.writeOpaque(target);
        } catch (RuntimeException e) {
            res.writeInt(Nfs3Targets.status(e));
            replies.postOpAttr(res, targets.currentOf(fh));
        }
    }

    /** READ (§3.3.6): at most rtmax bytes; eof when the data reaches the end of the file. */
    private void read(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = Nfs3Args.readHandle(args);
        long offset = args.readHyper();
        long count = args.readUnsignedInt();
        args.expectEnd();
        ByteBuf buf = null;
        try {
            Target t = targets.target(call, fh);
            int want = (int) Math.min(count, Nfs3.MAX_IO);
            // the volume reads straight into a pooled direct buffer that goes to the socket as it is
            int room = VirtualFileSystem.readRoom(want);
            buf = res.alloc().directBuffer(room, room);
            ReadResult r = t.vfs().read(t.caller(), t.ino(), offset, want, buf.nioBuffer(0, room));
            ByteBuf payload = buf;
            buf = null;
            replies.readOk(res, r, payload);
        } catch (RuntimeException e) {
            res.writeInt(Nfs3Targets.status(e));
            replies.postOpAttr(res, targets.currentOf(fh));
        } finally {
            if (buf != null) {
                buf.release();
            }
        }
    }

    /** WRITE (§3.3.7). */
    private void write(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = Nfs3Args.readHandle(args);
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
            Target t = targets.target(call, fh);
            t.requireWritable();
            WriteResult w = t.vfs().write(t.caller(), t.ino(), offset, data.nioBuffer(data.readerIndex(), (int) count), how);
            res.writeInt(Nfs3.OK);
            replies.wcc(res, w.file());
            res.writeInt(w.count());
            res.writeInt(switch (w.committed()) {
                case UNSTABLE -> Nfs3.UNSTABLE;
                case DATA_SYNC -> Nfs3.DATA_SYNC;
                case FILE_SYNC -> Nfs3.FILE_SYNC;
            });
            res.writeHyper(writeVerifier);
        } catch (RuntimeException e) {
            res.writeInt(Nfs3Targets.status(e));
            replies.wcc(res, null, targets.currentOf(fh));
        }
    }

    private interface Maker {
        Created make(Target dir, String name);
    }

    private void makeObject(RpcCall call, byte[] fh, String name, XdrWriter res, Maker maker) {
        try {
            Target t = targets.target(call, fh);
            t.requireWritable();
            t.checkNewName(name);
            replies.created(res, t.export(), maker.make(t, name));
        } catch (RuntimeException e) {
            res.writeInt(Nfs3Targets.status(e));
            replies.wcc(res, null, targets.currentOf(fh));
        }
    }

    /** CREATE (§3.3.8). */
    private void create(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = Nfs3Args.readHandle(args);
        String name = Nfs3Args.readName(args);
        Nfs3Args.CreateHow how;
        try {
            how = Nfs3Args.readCreateHow(args);
        } catch (FsException e) {
            res.writeInt(Nfs3Targets.status(e));
            replies.wcc(res, null, targets.currentOf(fh));
            return;
        }
        args.expectEnd();
        makeObject(call, fh, name, res, (t, n) -> t.vfs().create(t.caller(), t.ino(), n, how.attrs(), how.mode(), how.verifier()));
    }

    /** MKDIR (§3.3.9). */
    private void mkdir(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = Nfs3Args.readHandle(args);
        String name = Nfs3Args.readName(args);
        SetAttributes a;
        try {
            a = Nfs3Args.readSattr(args);
        } catch (FsException e) {
            res.writeInt(Nfs3Targets.status(e));
            replies.wcc(res, null, targets.currentOf(fh));
            return;
        }
        args.expectEnd();
        makeObject(call, fh, name, res, (t, n) -> t.vfs().mkdir(t.caller(), t.ino(), n, a));
    }

    /** SYMLINK (§3.3.10). */
    private void symlink(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = Nfs3Args.readHandle(args);
        String name = Nfs3Args.readName(args);
        SetAttributes a;
        try {
            a = Nfs3Args.readSattr(args);
        } catch (FsException e) {
            res.writeInt(Nfs3Targets.status(e));
            replies.wcc(res, null, targets.currentOf(fh));
            return;
        }
        byte[] target = args.readOpaque(Nfs3.MAX_PATH);
        args.expectEnd();
        makeObject(call, fh, name, res, (t, n) -> t.vfs().symlink(t.caller(), t.ino(), n, target, a));
    }

    /** MKNOD (§3.3.11): sockets and FIFOs; devices and every other type are NFS3ERR_BADTYPE (see Datastore#mknod). */
    private void mknod(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = Nfs3Args.readHandle(args);
        String name = Nfs3Args.readName(args);
        int code = args.readInt();
        FileType type = FileType.ofCode(code);
        SetAttributes a = SetAttributes.NONE;
        int major = 0;
        int minor = 0;
        try {
            if (type == FileType.CHAR_DEVICE || type == FileType.BLOCK_DEVICE) {
                a = Nfs3Args.readSattr(args);
                major = args.readInt();
                minor = args.readInt();
            } else if (type == FileType.SOCKET || type == FileType.FIFO) {
                a = Nfs3Args.readSattr(args);
            }
        } catch (FsException e) {
            res.writeInt(Nfs3Targets.status(e));
            replies.wcc(res, null, targets.currentOf(fh));
            return;
        }
        args.expectEnd();
        if (type == null) {
            res.writeInt(Nfs3.ERR_BADTYPE);
            replies.wcc(res, null, targets.currentOf(fh));
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

    /** RMDIR (§3.3.13). */
    private void rmdir(RpcCall call, XdrReader args, XdrWriter res) {
        unlink(call, args, res, (t, name) -> t.vfs().rmdir(t.caller(), t.ino(), name));
    }

    private interface Unlink {
        Change apply(Target t, String name);
    }

    /** REMOVE and RMDIR share their arguments (directory handle, name) and their wcc reply. */
    private void unlink(RpcCall call, XdrReader args, XdrWriter res, Unlink op) {
        byte[] fh = Nfs3Args.readHandle(args);
        String name = Nfs3Args.readName(args);
        args.expectEnd();
        changeWithWcc(call, fh, res, t -> op.apply(t, name));
    }

    /**
     * A change to the object behind {@code fh} whose reply is a status and wcc data: the change's
     * before/after attributes on success, the object's current attributes on failure.
     */
    private void changeWithWcc(RpcCall call, byte[] fh, XdrWriter res, java.util.function.Function<Target, Change> change) {
        try {
            Target t = targets.target(call, fh);
            t.requireWritable();
            Change c = change.apply(t);
            res.writeInt(Nfs3.OK);
            replies.wcc(res, c);
        } catch (RuntimeException e) {
            res.writeInt(Nfs3Targets.status(e));
            replies.wcc(res, null, targets.currentOf(fh));
        }
    }

    /** RENAME (§3.3.14): within one export (NFS3ERR_XDEV across exports). */
    private void rename(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fromFh = Nfs3Args.readHandle(args);
        String fromName = Nfs3Args.readName(args);
        byte[] toFh = Nfs3Args.readHandle(args);
        String toName = Nfs3Args.readName(args);
        args.expectEnd();
        try {
            Target from = targets.target(call, fromFh);
            Target to = targets.target(call, toFh);
            if (from.export().id() != to.export().id()) {
                throw new FsException.CrossDevice("rename across exports");
            }
            from.requireWritable();
            to.requireWritable();
            to.checkNewName(toName);
            from.checkNewName(fromName); // the snapshot directory cannot be renamed away either
            Renamed r = from.vfs().rename(from.caller(), from.ino(), fromName, to.ino(), toName);
            res.writeInt(Nfs3.OK);
            replies.wcc(res, r.from());
            replies.wcc(res, r.to());
        } catch (RuntimeException e) {
            res.writeInt(Nfs3Targets.status(e));
            replies.wcc(res, null, targets.currentOf(fromFh));
            replies.wcc(res, null, targets.currentOf(toFh));
        }
    }

    /** LINK (§3.3.15). */
    private void link(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fileFh = Nfs3Args.readHandle(args);
        byte[] dirFh = Nfs3Args.readHandle(args);
        String name = Nfs3Args.readName(args);
        args.expectEnd();
        try {
            Target file = targets.target(call, fileFh);
            Target dir = targets.target(call, dirFh);
            if (file.export().id() != dir.export().id()) {
                throw new FsException.CrossDevice("link across exports");
            }
            dir.requireWritable();
            dir.checkNewName(name);
            Linked l = dir.vfs().link(dir.caller(), file.ino(), dir.ino(), name);
            res.writeInt(Nfs3.OK);
            replies.postOpAttr(res, l.file());
            replies.wcc(res, l.directory());
        } catch (RuntimeException e) {
            res.writeInt(Nfs3Targets.status(e));
            replies.postOpAttr(res, targets.currentOf(fileFh));
            replies.wcc(res, null, targets.currentOf(dirFh));
        }
    }

    private static int nameBytes(String name) {
        return XdrReader.padded(name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
    }

    /** READDIR (§3.3.16): as many entries as fit in {@code count} bytes of reply. */
    private void readdir(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = Nfs3Args.readHandle(args);
        long cookie = args.readHyper();
        long verifier = args.readHyper();
        long count = args.readUnsignedInt();
        args.expectEnd();
        try {
            Target t = targets.target(call, fh);
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
            replies.postOpAttr(res, t.attributes());
            res.writeHyper(t.vfs().cookieVerifier(t.ino()));
            for (int i = 0; i < n; i++) {
                DirEntry e = targets.bounded(t, page.entries().get(i));
                res.writeBoolean(true).writeHyper(e.ino()).writeString(e.name()).writeHyper(e.cookie());
            }
            res.writeBoolean(false);
            res.writeBoolean(page.eof() && n == page.entries().size());
        } catch (TooSmall e) {
            res.writeInt(Nfs3.ERR_TOOSMALL);
            replies.postOpAttr(res, targets.currentOf(fh));
        } catch (RuntimeException e) {
            res.writeInt(Nfs3Targets.status(e));
            replies.postOpAttr(res, targets.currentOf(fh));
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
        byte[] fh = Nfs3Args.readHandle(args);
        long cookie = args.readHyper();
        long verifier = args.readHyper();
        long dircount = args.readUnsignedInt();
        long maxcount = args.readUnsignedInt();
        args.expectEnd();
        try {
            Target t = targets.target(call, fh);
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
            replies.postOpAttr(res, t.attributes());
            res.writeHyper(t.vfs().cookieVerifier(t.ino()));
            for (int i = 0; i < n; i++) {
                DirEntry e = targets.bounded(t, page.entries().get(i));
                res.writeBoolean(true).writeHyper(e.ino()).writeString(e.name()).writeHyper(e.cookie());
                replies.postOpAttr(res, e.attributes());
                replies.postOpHandle(res, t.export(), e.attributes());
            }
            res.writeBoolean(false);
            res.writeBoolean(page.eof() && n == page.entries().size());
        } catch (TooSmall e) {
            res.writeInt(Nfs3.ERR_TOOSMALL);
            replies.postOpAttr(res, targets.currentOf(fh));
        } catch (RuntimeException e) {
            res.writeInt(Nfs3Targets.status(e));
            replies.postOpAttr(res, targets.currentOf(fh));
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
        byte[] fh = Nfs3Args.readHandle(args);
        args.expectEnd();
        try {
            Target t = targets.target(call, fh);
            java.util.function.Consumer<XdrWriter> fields = query.apply(t);
            res.writeInt(Nfs3.OK);
            replies.postOpAttr(res, t.attributes());
            fields.accept(res);
        } catch (RuntimeException e) {
            res.writeInt(Nfs3Targets.status(e));
            replies.postOpAttr(res, targets.currentOf(fh));
        }
    }

    /** COMMIT (§3.3.21): flushes the whole file (offset and count are hints). */
    private void commit(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = Nfs3Args.readHandle(args);
        args.readHyper();
        args.readUnsignedInt();
        args.expectEnd();
        try {
            Target t = targets.target(call, fh);
            Change c = t.vfs().commit(t.ino());
            res.writeInt(Nfs3.OK);
            replies.wcc(res, c);
            res.writeHyper(writeVerifier);
        } catch (RuntimeException e) {
            res.writeInt(Nfs3Targets.status(e));
            replies.wcc(res, null, targets.currentOf(fh));
        }
    }
}
