package io.depot.nfs.mount;

/** Numbers of the MOUNT protocol version 3 (RFC 1813 Appendix I). */
public final class Mount {
    private Mount() {}

    public static final int PROGRAM = 100005;
    public static final int VERSION = 3;
    /** Versions 1 and 2 share EXPORT, DUMP, UMNT, UMNTALL with v3; showmount asks v1. */
    public static final int VERSION_1 = 1;

    public static final int PROC_NULL = 0;
    public static final int PROC_MNT = 1;
    public static final int PROC_DUMP = 2;
    public static final int PROC_UMNT = 3;
    public static final int PROC_UMNTALL = 4;
    public static final int PROC_EXPORT = 5;

    /** dirpath<MNTPATHLEN>. */
    public static final int MNTPATHLEN = 1024;
    /** name<MNTNAMLEN>. */
    public static final int MNTNAMLEN = 255;
    /** fhandle3<FHSIZE3>. */
    public static final int FHSIZE3 = 64;
}
