package io.depot.nfs.nfs3;

import io.depot.nfs.fs.FsException;

/**
 * The one place where failures become nfsstat3 codes (RFC 1813 §2.6): the file system's
 * {@link FsException}s, and the two that are NFS's own (a handle that is not ours, a reply
 * buffer too small for one directory entry).
 */
final class NfsStatus {
    private NfsStatus() {}

    /** A handle that is not one of ours: NFS3ERR_BADHANDLE. */
    static final class BadHandle extends RuntimeException {
        BadHandle() { super("bad handle", null, false, false); }
    }

    /** Not even one directory entry fits in the reply the client allows: NFS3ERR_TOOSMALL. */
    static final class TooSmall extends RuntimeException {
        TooSmall() { super("reply too small", null, false, false); }
    }

    /** The status of a failed call; any other exception (malformed arguments, a bug) is thrown on, for the RPC layer. */
    static int of(RuntimeException e) {
        return switch (e) {
            case FsException f -> of(f);
            case BadHandle x -> Nfs3.ERR_BADHANDLE;
            case TooSmall x -> Nfs3.ERR_TOOSMALL;
            default -> throw e;
        };
    }

    static int of(FsException e) {
        return switch (e) {
            case FsException.NoEntry x -> Nfs3.ERR_NOENT;
            case FsException.Exists x -> Nfs3.ERR_EXIST;
            case FsException.NotDirectory x -> Nfs3.ERR_NOTDIR;
            case FsException.IsDirectory x -> Nfs3.ERR_ISDIR;
            case FsException.NotEmpty x -> Nfs3.ERR_NOTEMPTY;
            case FsException.AccessDenied x -> Nfs3.ERR_ACCES;
            case FsException.NotPermitted x -> Nfs3.ERR_PERM;
            case FsException.Stale x -> Nfs3.ERR_STALE;
            case FsException.NoSpace x -> Nfs3.ERR_NOSPC;
            case FsException.NameTooLong x -> Nfs3.ERR_NAMETOOLONG;
            case FsException.Invalid x -> Nfs3.ERR_INVAL;
            case FsException.CrossDevice x -> Nfs3.ERR_XDEV;
            case FsException.NotSupported x -> Nfs3.ERR_NOTSUPP;
            case FsException.IoError x -> Nfs3.ERR_IO;
            case FsException.BadType x -> Nfs3.ERR_BADTYPE;
            case FsException.FileTooBig x -> Nfs3.ERR_FBIG;
            case FsException.ReadOnly x -> Nfs3.ERR_ROFS;
            case FsException.TooManyLinks x -> Nfs3.ERR_MLINK;
            case FsException.BadCookie x -> Nfs3.ERR_BAD_COOKIE;
            case FsException.NotSync x -> Nfs3.ERR_NOT_SYNC;
        };
    }
}
