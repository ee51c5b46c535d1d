package io.depot.nfs.rpc;

/** A TCP byte stream that cannot be split into RPC records any more: the connection is dropped. */
public final class RecordFramingException extends RuntimeException {
    public RecordFramingException(String message) {
        super(message, null, false, false);
    }
}
