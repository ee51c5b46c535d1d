package io.depot.iscsi.fabric.pdu;

/** A byte stream that cannot be iSCSI: the connection cannot resynchronise and must be dropped. */
public final class PduFormatException extends RuntimeException {
    public PduFormatException(String message) {
        super(message, null, false, false);
    }
}
