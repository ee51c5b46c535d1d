package io.depot.nfs.rpc;

/**
 * A registered procedure. Non-idempotent procedures (NFS CREATE, REMOVE, RENAME...) go through
 * the duplicate request cache, so a retransmission after a lost reply gets the first reply back
 * instead of being executed twice.
 *
 * <p>A fast path ({@code quick}) with {@code quickWhenIdle} is tried only on an idle connection:
 * no call of it executing or waiting, none answered on the event loop since the last socket
 * read began. For work that is cheap next to a round trip but worth spreading over workers when
 * calls come in parallel (a 1 MiB READ: one in flight gains the handoffs, eight at once gain
 * the second core).
 */
public record RpcProcedure(int number, String name, RpcHandler handler, boolean idempotent, RpcQuickHandler quick,
                           boolean quickWhenIdle, RpcDeferredHandler deferred) {
    /** A procedure without a fast path. */
    public RpcProcedure(int number, String name, RpcHandler handler, boolean idempotent) {
        this(number, name, handler, idempotent, null, false, null);
    }

    /** A procedure whose immediate fast path (idempotent ones only), if any, is tried whatever else the connection is doing. */
    public RpcProcedure(int number, String name, RpcHandler handler, boolean idempotent, RpcQuickHandler quick) {
        this(number, name, handler, idempotent, quick, false, null);
    }

    public RpcProcedure {
        if (quick != null && !idempotent) {
            throw new IllegalArgumentException(name + ": a non-idempotent procedure goes through the duplicate request cache, on a worker");
        }
        if (deferred != null && idempotent) {
            throw new IllegalArgumentException(name + ": a deferred fast path is for non-idempotent procedures (it records its reply)");
        }
    }
}
