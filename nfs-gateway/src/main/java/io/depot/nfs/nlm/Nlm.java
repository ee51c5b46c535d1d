package io.depot.nfs.nlm;

/**
 * Numbers of the Network Lock Manager protocol: versions 1 and 3 (X/Open "Protocols for X/Open
 * PC Interworking: XNFS", NLM chapter) and version 4 (RFC 1813 Appendix II, which widens offsets
 * and lengths to 64 bits and adds statuses).
 */
public final class Nlm {
    private Nlm() {}

    public static final int PROGRAM = 100021;
    public static final int VERSION_1 = 1;
    /** Version 1 plus SHARE, UNSHARE, NM_LOCK and FREE_ALL. */
    public static final int VERSION_3 = 3;
    public static final int VERSION_4 = 4;

    public static final int PROC_NULL = 0;
    public static final int PROC_TEST = 1;
    public static final int PROC_LOCK = 2;
    public static final int PROC_CANCEL = 3;
    public static final int PROC_UNLOCK = 4;
    public static final int PROC_GRANTED = 5;
    public static final int PROC_TEST_MSG = 6;
    public static final int PROC_LOCK_MSG = 7;
    public static final int PROC_CANCEL_MSG = 8;
    public static final int PROC_UNLOCK_MSG = 9;
    public static final int PROC_GRANTED_MSG = 10;
    public static final int PROC_TEST_RES = 11;
    public static final int PROC_LOCK_RES = 12;
    public static final int PROC_CANCEL_RES = 13;
    public static final int PROC_UNLOCK_RES = 14;
    public static final int PROC_GRANTED_RES = 15;
    public static final int PROC_SHARE = 20;
    public static final int PROC_UNSHARE = 21;
    public static final int PROC_NM_LOCK = 22;
    public static final int PROC_FREE_ALL = 23;

    /** LM_MAXSTRLEN: the longest caller_name. */
    public static final int MAX_STRING = 1024;
    /** MAXNETOBJ_SZ: the longest cookie, file handle or owner handle. */
    public static final int MAX_NETOBJ = 1024;
    /** MAXNAMELEN of nlm_notify's name (LM_MAXSTRLEN + 1). */
    public static final int MAX_NOTIFY_NAME = MAX_STRING + 1;

    /** The largest unsigned 32-bit value: v1/v3 offsets and lengths. */
    static final long MAX_UINT32 = 0xFFFF_FFFFL;
}
