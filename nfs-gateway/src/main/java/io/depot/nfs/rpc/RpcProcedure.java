package io.depot.nfs.rpc;

/**
 * A registered procedure. Non-idempotent procedures (NFS CREATE, REMOVE, RENAME...) go through
 * the duplicate request cache, so a retransmission after a lost reply gets the first reply back
 * instead of being executed twice.
 */
public record RpcProcedure(int number, String name, RpcHandler handler, boolean idempotent, RpcQuickHandler quick) {
    /** A procedure without a fast path. */
    public RpcProcedure(int number, String name, RpcHandler handler, boolean idempotent) {
        this(number, name, handler, idempotent, null);
    }

    public RpcProcedure {
        if (quick != null && !idempotent) {
            throw new IllegalArgumentException(name + ": a non-idempotent procedure goes through the duplicate request cache, on a worker");
        }
    }
}
