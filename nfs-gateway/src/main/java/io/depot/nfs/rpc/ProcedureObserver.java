package io.depot.nfs.rpc;

/**
 * Told about every executed call of one RPC procedure, on the worker that ran it: the seam for
 * metrics. Must be cheap and must not allocate.
 */
@FunctionalInterface
public interface ProcedureObserver {
    /** @param nanos time from the call's header being read to its reply being built (queueing included) */
    void completed(long nanos);

    ProcedureObserver NONE = nanos -> {};
}
