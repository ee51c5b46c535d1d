package io.depot.nfs.rpc;

import io.depot.nfs.xdr.XdrReader;
import io.depot.nfs.xdr.XdrWriter;

/**
 * One procedure of one program version. Runs on a worker thread (it may block on engine I/O).
 *
 * <p>The handler reads its arguments from {@code args} and writes only its results to
 * {@code result}: the reply header is written by the dispatcher. {@code args} is a view of the
 * received record, valid until the handler returns; retain a slice to keep it longer.
 *
 * <p>Failures: an {@link io.depot.nfs.xdr.XdrDecodeException} (malformed or trailing arguments)
 * becomes GARBAGE_ARGS; an {@link RpcErrorException} becomes the reply it names; any other
 * exception becomes SYSTEM_ERR and is logged. Protocol-level statuses (NFS3ERR_*, MNT3ERR_*)
 * are results, not exceptions, at this layer.
 */
@FunctionalInterface
public interface RpcHandler {
    void handle(RpcCall call, XdrReader args, XdrWriter result) throws Exception;
}
