package io.depot.nfs.rpc;

import io.depot.nfs.xdr.XdrReader;
import io.depot.nfs.xdr.XdrWriter;

/**
 * The fast path of a non-idempotent procedure whose reply may leave only once its change is
 * durable (NFS CREATE, REMOVE: RFC 1813 §4.7). Tried on the connection's event loop like an
 * {@link RpcQuickHandler}: it makes the change only if it can without blocking, writes the
 * results at once, and returns the {@link Gate} the reply waits behind; the event loop goes on
 * with other calls meanwhile, and whoever makes the change durable releases the reply. So such a
 * call costs no worker thread and no thread handoff but the one that releases it, which a whole
 * group commit shares. The call goes through the duplicate request cache as on a worker.
 */
@FunctionalInterface
public interface RpcDeferredHandler {
    /**
     * Makes the change, writes the results and returns the gate of the reply, or returns null
     * having written and changed nothing (the call then goes to the ordinary {@link RpcHandler}
     * on a worker, which answers errors too). Must not block. An
     * {@link io.depot.nfs.xdr.XdrDecodeException} is answered GARBAGE_ARGS; any other
     * exception hands the call to the worker, so it must be thrown before anything changed.
     */
    Gate tryHandle(RpcCall call, XdrReader args, XdrWriter result);

    /** What a deferred reply waits for. */
    @FunctionalInterface
    interface Gate {
        /**
         * Calls {@code release} exactly once, on any thread: {@code true} once the reply may
         * be sent, {@code false} when it must not be (its change could not be made durable;
         * the connection is then closed, so the client retries instead of trusting it).
         */
        void whenOpen(Release release);
    }

    /** Receives a {@link Gate}'s decision. */
    @FunctionalInterface
    interface Release {
        void release(boolean send);
    }
}
