package io.depot.nfs.nfs3;

/** Numbers of NFS version 3 (RFC 1813). */
public final class Nfs3 {
    private Nfs3() {}

    public static final int PROGRAM = 100003;
    public static final int VERSION = 3;

    public static final int PROC_NULL = 0, PROC_GETATTR = 1, PROC_SETATTR = 2, PROC_LOOKUP = 3, PROC_ACCESS = 4,
            PROC_READLINK = 5, PROC_READ = 6, PROC_WRITE = 7, PROC_CREATE = 8, PROC_MKDIR = 9, PROC_SYMLINK = 10,
            PROC_MKNOD = 11, PROC_REMOVE = 12, PROC_RMDIR = 13, PROC_RENAME = 14, PROC_LINK = 15, PROC_READDIR = 16,
            PROC_READDIRPLUS = 17, PROC_FSSTAT = 18, PROC_FSINFO = 19, PROC_PATHCONF = 20, PROC_COMMIT = 21;

    // nfsstat3 (§2.6)
    public static final int OK = 0, ERR_PERM = 1, ERR_NOENT = 2, ERR_IO = 5, ERR_NXIO = 6, ERR_ACCES = 13,
            ERR_EXIST = 17, ERR_XDEV = 18, ERR_NODEV = 19, ERR_NOTDIR = 20, ERR_ISDIR = 21, ERR_INVAL = 22,
            ERR_FBIG = 27, ERR_NOSPC = 28, ERR_ROFS = 30, ERR_MLINK = 31, ERR_NAMETOOLONG = 63, ERR_NOTEMPTY = 66,
            ERR_DQUOT = 69, ERR_STALE = 70, ERR_REMOTE = 71, ERR_BADHANDLE = 10001, ERR_NOT_SYNC = 10002,
            ERR_BAD_COOKIE = 10003, ERR_NOTSUPP = 10004, ERR_TOOSMALL = 10005, ERR_SERVERFAULT = 10006,
            ERR_BADTYPE = 10007, ERR_JUKEBOX = 10008;

    /** fhandle3: at most 64 bytes. */
    public static final int FHSIZE = 64;
    /** Names are read up to this length; the datastore answers NAMETOOLONG above 255. */
    public static final int MAX_NAME_READ = 4096;
    public static final int MAX_PATH = 4096;

    // ACCESS3 bits (§3.3.4)
    public static final int ACCESS_READ = 0x01, ACCESS_LOOKUP = 0x02, ACCESS_MODIFY = 0x04, ACCESS_EXTEND = 0x08,
            ACCESS_DELETE = 0x10, ACCESS_EXECUTE = 0x20;

    // stable_how
    public static final int UNSTABLE = 0, DATA_SYNC = 1, FILE_SYNC = 2;

    // createmode3
    public static final int UNCHECKED = 0, GUARDED = 1, EXCLUSIVE = 2;

    // time_how
    public static final int DONT_CHANGE = 0, SET_TO_SERVER_TIME = 1, SET_TO_CLIENT_TIME = 2;

    // FSINFO properties
    public static final int FSF_LINK = 0x1, FSF_SYMLINK = 0x2, FSF_HOMOGENEOUS = 0x8, FSF_CANSETTIME = 0x10;

    /** rtmax and wtmax: 1 MiB, which fits the RPC server's record limit with the call header. */
    public static final int MAX_IO = 1024 * 1024;
}
