package io.depot.iscsi.fabric.pdu;

import io.netty.buffer.ByteBuf;

/**
 * A PDU whose header was sound but whose data digest did not match (RFC 7143 §7.8.2): the
 * connection answers with a Reject (reason 02h) carrying {@code bhs}, which it must release.
 */
public record DataDigestError(ByteBuf bhs) {}
