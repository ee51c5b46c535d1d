package io.depot.iscsi.fabric.login;

/**
 * The outcome of a successful login.
 *
 * <p>On a non-leading connection (TSIH != 0) the leading-only keys were answered Irrelevant, so
 * {@link #session()} holds defaults there: the fabric keeps the existing session's parameters.
 *
 * @param targetName null for a discovery session
 * @param initiatorAlias null when the initiator declared none
 */
public record NegotiatedSession(
        SessionType type,
        String initiatorName,
        String initiatorAlias,
        String targetName,
        long isid,
        int tsih,
        int cid,
        SessionParameters session,
        ConnectionParameters connection) {}
