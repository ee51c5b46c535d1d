package io.depot.nfs.rpc;

import io.depot.nfs.xdr.XdrReader;
import io.depot.nfs.xdr.XdrWriter;

/**
 * A procedure's fast path, tried on the connection's event loop before the call is handed to a
 * worker thread: it answers only what it can without blocking (memory only: no disk, no lock
 * held for long, no name resolution) and otherwise declines, leaving the call to the ordinary
 * {@link RpcHandler} on a worker. A call answered here saves the two thread handoffs of a worker
 * (wake a carrier, wake the event loop back), which cost more than a cached GETATTR itself.
 */
@FunctionalInterface
public interface RpcQuickHandler {
    /**
     * Writes the results and returns true, or returns false having written nothing (the
     * arguments are read again by the ordinary handler). Must not block. An
     * {@link io.depot.nfs.xdr.XdrDecodeException} is answered GARBAGE_ARGS as for the handler;
     * any other exception hands the call to the worker.
     */
    boolean tryHandle(RpcCall call, XdrReader args, XdrWriter result);
}
