package io.depot.nfs.rpc;

/**
 * A registered procedure. Non-idempotent procedures (NFS CREATE, REMOVE, RENAME...) go through
 * the duplicate request cache, so a retransmission after a lost reply gets the first reply back
 * instead of being executed twice.
 */
public record RpcProcedure(int number, String name, RpcHandler handler, boolean idempotent, RpcQuickHandler quick,
                           RpcDeferredHandler deferred) {
    /** A procedure without a fast path. */
    public RpcProcedure(int number, String name, RpcHandler handler, boolean idempotent) {
        this(number, name, handler, idempotent, null, null);
    }

    /** A procedure with an immediate fast path (idempotent ones only). */
    public RpcProcedure(int number, String name, RpcHandler handler, boolean idempotent, RpcQuickHandler quick) {
        this(number, name, handler, idempotent, quick, null);
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
