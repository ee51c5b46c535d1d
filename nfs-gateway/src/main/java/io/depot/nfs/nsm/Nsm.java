package io.depot.nfs.nsm;

/**
 * Numbers of the Network Status Monitor protocol, version 1 (X/Open "Protocols for Interworking:
 * XNFS", the NSM chapter; Sun's sm_inter.x): program, procedures, limits and result codes.
 */
public final class Nsm {
    private Nsm() {}

    public static final int PROGRAM = 100024;
    public static final int VERSION = 1;

    public static final int PROC_NULL = 0;
    public static final int PROC_STAT = 1;
    public static final int PROC_MON = 2;
    public static final int PROC_UNMON = 3;
    public static final int PROC_UNMON_ALL = 4;
    public static final int PROC_SIMU_CRASH = 5;
    public static final int PROC_NOTIFY = 6;

    /** SM_MAXSTRLEN: the longest host name (mon_name, my_name) on the wire. */
    public static final int MAX_NAME = 1024;
    /** The opaque cookie a local lock manager hands SM_MON and gets back in its callback. */
    public static final int PRIV_SIZE = 16;

    // res (sm_stat_res.res_stat)
    public static final int STAT_SUCC = 0;
    public static final int STAT_FAIL = 1;
}
