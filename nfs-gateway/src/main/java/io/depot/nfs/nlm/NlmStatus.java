package io.depot.nfs.nlm;

/**
 * An answer status, as NLM v4's {@code nlm4_stats}; {@link #code(int)} gives the number a version
 * sends. Versions 1 and 3 know only the first five ({@code nlm_stats}); the others map to the
 * nearest of those.
 */
public enum NlmStatus {
    GRANTED(0, 0),
    DENIED(1, 1),
    DENIED_NOLOCKS(2, 2),
    BLOCKED(3, 3),
    DENIED_GRACE_PERIOD(4, 4),
    /** Would deadlock (v1/v3: denied). */
    DEADLCK(5, 1),
    /** Read-only file system (v1/v3: no locks for it). */
    ROFS(6, 2),
    /** The file handle names no file (v1/v3: no locks for it). */
    STALE_FH(7, 2),
    /** The range is beyond what a file can hold (v1/v3: no locks for it). */
    FBIG(8, 2),
    /** Failed for another reason (v1/v3: no locks for it). */
    FAILED(9, 2);

    private final int v4;
    private final int v1;

    NlmStatus(int v4, int v1) {
        this.v4 = v4;
        this.v1 = v1;
    }

    /** The number sent for this status in NLM {@code version}. */
    public int code(int version) {
        return version == Nlm.VERSION_4 ? v4 : v1;
    }

    /** The status a number of NLM {@code version} stands for (unknown numbers: {@link #FAILED}). */
    public static NlmStatus of(int version, int code) {
        for (NlmStatus s : values()) {
            if ((version == Nlm.VERSION_4 ? s.v4 : s.v1) == code && (version == Nlm.VERSION_4 || s.ordinal() <= 4)) {
                return s;
            }
        }
        return FAILED;
    }
}
