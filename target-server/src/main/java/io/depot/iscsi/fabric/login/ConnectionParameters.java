package io.depot.iscsi.fabric.login;

/**
 * Connection-scoped parameters agreed during login.
 *
 * @param initiatorMaxRecvDataSegmentLength what the initiator declared: the largest data segment
 *     WE may send it on this connection (RFC 7143 §13.12; 8192 when it declared nothing)
 * @param targetMaxRecvDataSegmentLength what we declared: the largest data segment we accept
 *     (8192 when the login skipped the operational stage and we never declared)
 */
public record ConnectionParameters(
        Digest headerDigest,
        Digest dataDigest,
        int initiatorMaxRecvDataSegmentLength,
        int targetMaxRecvDataSegmentLength) {

    /** The RFC default for MaxRecvDataSegmentLength, also the limit for every login PDU. */
    public static final int DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH = 8192;
}
