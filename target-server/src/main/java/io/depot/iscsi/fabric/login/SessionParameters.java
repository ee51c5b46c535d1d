package io.depot.iscsi.fabric.login;

/**
 * Session-wide operational parameters agreed during login (RFC 7143 §13, scope SW). Keys the
 * initiator did not negotiate keep their RFC defaults ({@link #DEFAULTS}).
 */
public record SessionParameters(
        int maxConnections,
        boolean initialR2T,
        boolean immediateData,
        int maxBurstLength,
        int firstBurstLength,
        int defaultTime2Wait,
        int defaultTime2Retain,
        int maxOutstandingR2T,
        boolean dataPduInOrder,
        boolean dataSequenceInOrder,
        int errorRecoveryLevel) {

    /** The defaults of RFC 7143 §13.10-13.20. */
    public static final SessionParameters DEFAULTS =
            new SessionParameters(1, true, true, 262144, 65536, 2, 20, 1, true, true, 0);
}
