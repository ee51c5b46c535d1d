package io.depot.nfs.xdr;

/**
 * Bytes that are not the XDR they claim to be: truncated, a length beyond its cap, a boolean
 * that is neither 0 nor 1. The RPC layer turns it into GARBAGE_ARGS (or a dropped call when
 * the call header itself is bad); it never escapes as an IndexOutOfBoundsException.
 */
public final class XdrDecodeException extends RuntimeException {
    public XdrDecodeException(String message) {
        super(message, null, false, false);
    }
}
