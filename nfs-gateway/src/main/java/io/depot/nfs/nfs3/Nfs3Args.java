package io.depot.nfs.nfs3;

import io.depot.nfs.fs.FileType;
import io.depot.nfs.fs.FsException;
import io.depot.nfs.fs.SetAttributes;
import io.depot.nfs.fs.VirtualFileSystem.CreateMode;
import io.depot.nfs.rpc.RpcErrorException;
import io.depot.nfs.xdr.XdrReader;

/** Decoding of the XDR argument types NFSv3 procedures share (RFC 1813 §2.5, §2.6, §3.3.8). */
final class Nfs3Args {
    private Nfs3Args() {}


    static byte[] readHandle(XdrReader args) {
        return args.readOpaque(Nfs3.FHSIZE);
    }

    static String readName(XdrReader args) {
        return args.readString(Nfs3.MAX_NAME_READ);
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
    static SetAttributes readSattr(XdrReader args) {
        Integer mode = args.readBoolean() ? args.readInt() & 07777 : null;
        Integer uid = args.readBoolean() ? args.readInt() : null;
        Integer gid = args.readBoolean() ? args.readInt() : null;
        Long size = args.readBoolean() ? args.readHyper() : null;
        Long atime = readSetTime(args);
        Long mtime = readSetTime(args);
        return new SetAttributes(mode, uid, gid, size, atime, mtime);
    }

    /** createhow3 (§3.3.8): the mode with its attributes (UNCHECKED, GUARDED) or its verifier (EXCLUSIVE). */
    record CreateHow(CreateMode mode, SetAttributes attrs, long verifier) {}

    /** Decodes createhow3; an unknown mode is GARBAGE_ARGS, invalid attributes an {@link FsException}. */
    static CreateHow readCreateHow(XdrReader args) {
        int how = args.readInt();
        return switch (how) {
            case Nfs3.UNCHECKED -> new CreateHow(CreateMode.UNCHECKED, readSattr(args), 0);
            case Nfs3.GUARDED -> new CreateHow(CreateMode.GUARDED, readSattr(args), 0);
            case Nfs3.EXCLUSIVE -> new CreateHow(CreateMode.EXCLUSIVE, SetAttributes.NONE, args.readHyper());
            default -> throw RpcErrorException.garbageArgs("createmode3 " + how);
        };
    }

    /** sattrguard3 (§3.3.2): the ctime the object must still have, in nanoseconds, or null for no guard. */
    static Long readGuard(XdrReader args) {
        if (!args.readBoolean()) {
            return null;
        }
        long s = args.readUnsignedInt();
        long ns = args.readUnsignedInt();
        return s * 1_000_000_000L + ns;
    }

    /** symlinkdata3 (§3.3.10): the new link's attributes and what it points to. */
    record SymlinkData(SetAttributes attrs, byte[] target) {}

    /** Decodes symlinkdata3; invalid attributes are an {@link FsException} (the path is then not read). */
    static SymlinkData readSymlinkData(XdrReader args) {
        SetAttributes attrs = readSattr(args);
        return new SymlinkData(attrs, args.readOpaque(Nfs3.MAX_PATH));
    }

    /** mknoddata3 (§3.3.11): the type ({@code null} for a code RFC 1813 does not name), then its arm. */
    record MknodData(int code, FileType type, SetAttributes attrs, int major, int minor) {}

    /** Decodes mknoddata3: devices carry attributes and numbers, sockets and FIFOs attributes, other types nothing. */
    static MknodData readMknodData(XdrReader args) {
        int code = args.readInt();
        FileType type = FileType.ofCode(code);
        if (type == FileType.CHAR_DEVICE || type == FileType.BLOCK_DEVICE) {
            SetAttributes attrs = readSattr(args);
            int major = args.readInt();
            int minor = args.readInt();
            return new MknodData(code, type, attrs, major, minor);
        }
        if (type == FileType.SOCKET || type == FileType.FIFO) {
            return new MknodData(code, type, readSattr(args), 0, 0);
        }
        return new MknodData(code, type, SetAttributes.NONE, 0, 0);
    }
}
