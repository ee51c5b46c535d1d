package io.depot.nfs.nfs3;

import io.depot.nfs.fs.FsException;

/** The one place where file-system outcomes become nfsstat3 codes (RFC 1813 §2.6). */
final class NfsStatus {
    private NfsStatus() {}

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
