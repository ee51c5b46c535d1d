package io.depot.nfs.nfs3;

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
}
