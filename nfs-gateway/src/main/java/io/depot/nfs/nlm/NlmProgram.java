package io.depot.nfs.nlm;

import io.depot.nfs.rpc.RpcCall;
import io.depot.nfs.rpc.RpcProgram;
import io.depot.nfs.xdr.XdrReader;
import io.depot.nfs.xdr.XdrWriter;

/**
 * NLM as an RPC program: versions 1, 3 and 4, the synchronous procedures, the *_MSG ones (done,
 * then answered by a separate *_RES call to the caller's lock manager), the *_RES ones a client
 * sends us (only GRANTED_RES matters: the answer to our GRANTED_MSG), and in v3 and v4 SHARE,
 * UNSHARE, NM_LOCK and FREE_ALL. Decoding and encoding only; {@link NlmService} decides.
 */
final class NlmProgram {
    private final NlmService nlm;
    private final GrantCallbacks callbacks;

    NlmProgram(NlmService nlm, GrantCallbacks callbacks) {
        this.nlm = nlm;
        this.callbacks = callbacks;
    }

    RpcProgram build() {
        RpcProgram.Builder b = RpcProgram.builder(Nlm.PROGRAM, "nlockmgr");
        for (int v : new int[] {Nlm.VERSION_1, Nlm.VERSION_3, Nlm.VERSION_4}) {
            b.procedure(v, Nlm.PROC_NULL, "NULL", (call, args, res) -> args.expectEnd());
            b.procedure(v, Nlm.PROC_TEST, "TEST", this::test);
            b.nonIdempotentProcedure(v, Nlm.PROC_LOCK, "LOCK", (call, args, res) -> lock(call, args, res, true));
            b.nonIdempotentProcedure(v, Nlm.PROC_CANCEL, "CANCEL", this::cancel);
            b.nonIdempotentProcedure(v, Nlm.PROC_UNLOCK, "UNLOCK", this::unlock);
            b.procedure(v, Nlm.PROC_GRANTED, "GRANTED", this::granted);
            b.procedure(v, Nlm.PROC_TEST_MSG, "TEST_MSG", this::testMsg);
            b.procedure(v, Nlm.PROC_LOCK_MSG, "LOCK_MSG", this::lockMsg);
            b.procedure(v, Nlm.PROC_CANCEL_MSG, "CANCEL_MSG", this::cancelMsg);
            b.procedure(v, Nlm.PROC_UNLOCK_MSG, "UNLOCK_MSG", this::unlockMsg);
            b.procedure(v, Nlm.PROC_GRANTED_MSG, "GRANTED_MSG", this::grantedMsg);
            b.procedure(v, Nlm.PROC_TEST_RES, "TEST_RES", this::ignoredTestRes);
            b.procedure(v, Nlm.PROC_LOCK_RES, "LOCK_RES", this::ignoredRes);
            b.procedure(v, Nlm.PROC_CANCEL_RES, "CANCEL_RES", this::ignoredRes);
            b.procedure(v, Nlm.PROC_UNLOCK_RES, "UNLOCK_RES", this::ignoredRes);
            b.procedure(v, Nlm.PROC_GRANTED_RES, "GRANTED_RES", this::grantedRes);
            if (v != Nlm.VERSION_1) {
                b.nonIdempotentProcedure(v, Nlm.PROC_SHARE, "SHARE", this::share);
                b.nonIdempotentProcedure(v, Nlm.PROC_UNSHARE, "UNSHARE", this::unshare);
                b.nonIdempotentProcedure(v, Nlm.PROC_NM_LOCK, "NM_LOCK", (call, args, res) -> lock(call, args, res, false));
                b.procedure(v, Nlm.PROC_FREE_ALL, "FREE_ALL", this::freeAll);
            }
        }
        return b.build();
    }

    private static GrantCallbacks.Requester from(RpcCall call, boolean async) {
        return new GrantCallbacks.Requester(call.remote(), call.version(), async);
    }

    private void test(RpcCall call, XdrReader args, XdrWriter res) {
        int v = call.version();
        NlmXdr.TestArgs a = NlmXdr.readTestArgs(args, v);
        args.expectEnd();
        NlmService.TestOutcome t = nlm.test(a.lock(), a.exclusive());
        NlmXdr.writeTestRes(res, v, a.cookie(), t.status(), t.holder());
    }

    private void lock(RpcCall call, XdrReader args, XdrWriter res, boolean monitored) {
        int v = call.version();
        NlmXdr.LockArgs a = NlmXdr.readLockArgs(args, v);
        args.expectEnd();
        NlmXdr.writeRes(res, v, a.cookie(), nlm.lock(a, monitored, from(call, false)));
    }

    private void cancel(RpcCall call, XdrReader args, XdrWriter res) {
        int v = call.version();
        NlmXdr.CancelArgs a = NlmXdr.readCancelArgs(args, v);
        args.expectEnd();
        NlmXdr.writeRes(res, v, a.cookie(), nlm.cancel(a.lock(), a.exclusive()));
    }

    private void unlock(RpcCall call, XdrReader args, XdrWriter res) {
        int v = call.version();
        NlmXdr.UnlockArgs a = NlmXdr.readUnlockArgs(args, v);
        args.expectEnd();
        NlmXdr.writeRes(res, v, a.cookie(), nlm.unlock(a.lock()));
    }

    /** A client telling us, the server, that a lock we waited for is granted: we never wait as a client, so none is. */
    private void granted(RpcCall call, XdrReader args, XdrWriter res) {
        int v = call.version();
        NlmXdr.TestArgs a = NlmXdr.readTestArgs(args, v);
        args.expectEnd();
        NlmXdr.writeRes(res, v, a.cookie(), NlmStatus.DENIED);
    }

    private void testMsg(RpcCall call, XdrReader args, XdrWriter res) {
        int v = call.version();
        NlmXdr.TestArgs a = NlmXdr.readTestArgs(args, v);
        args.expectEnd();
        NlmService.TestOutcome t = nlm.test(a.lock(), a.exclusive());
        callbacks.sendResult(from(call, true), Nlm.PROC_TEST_RES, w -> NlmXdr.writeTestRes(w, v, a.cookie(), t.status(), t.holder()));
    }

    private void lockMsg(RpcCall call, XdrReader args, XdrWriter res) {
        int v = call.version();
        NlmXdr.LockArgs a = NlmXdr.readLockArgs(args, v);
        args.expectEnd();
        NlmStatus s = nlm.lock(a, true, from(call, true));
        callbacks.sendResult(from(call, true), Nlm.PROC_LOCK_RES, w -> NlmXdr.writeRes(w, v, a.cookie(), s));
    }

    private void cancelMsg(RpcCall call, XdrReader args, XdrWriter res) {
        int v = call.version();
        NlmXdr.CancelArgs a = NlmXdr.readCancelArgs(args, v);
        args.expectEnd();
        NlmStatus s = nlm.cancel(a.lock(), a.exclusive());
        callbacks.sendResult(from(call, true), Nlm.PROC_CANCEL_RES, w -> NlmXdr.writeRes(w, v, a.cookie(), s));
    }

    private void unlockMsg(RpcCall call, XdrReader args, XdrWriter res) {
        int v = call.version();
        NlmXdr.UnlockArgs a = NlmXdr.readUnlockArgs(args, v);
        args.expectEnd();
        NlmStatus s = nlm.unlock(a.lock());
        callbacks.sendResult(from(call, true), Nlm.PROC_UNLOCK_RES, w -> NlmXdr.writeRes(w, v, a.cookie(), s));
    }

    private void grantedMsg(RpcCall call, XdrReader args, XdrWriter res) {
        int v = call.version();
        NlmXdr.TestArgs a = NlmXdr.readTestArgs(args, v);
        args.expectEnd();
        callbacks.sendResult(from(call, true), Nlm.PROC_GRANTED_RES, w -> NlmXdr.writeRes(w, v, a.cookie(), NlmStatus.DENIED));
    }

    /** TEST_RES: an answer to a TEST_MSG we never send; checked and dropped. */
    private void ignoredTestRes(RpcCall call, XdrReader args, XdrWriter res) {
        NlmXdr.readNetobj(args);
        args.skip(args.remaining());
    }

    /** LOCK_RES, CANCEL_RES, UNLOCK_RES: answers to calls we never send; checked and dropped. */
    private void ignoredRes(RpcCall call, XdrReader args, XdrWriter res) {
        NlmXdr.readRes(args, call.version());
        args.expectEnd();
    }

    private void grantedRes(RpcCall call, XdrReader args, XdrWriter res) {
        NlmXdr.Res r = NlmXdr.readRes(args, call.version());
        args.expectEnd();
        callbacks.grantedResult(r.cookie(), r.status());
    }

    private void share(RpcCall call, XdrReader args, XdrWriter res) {
        int v = call.version();
        NlmXdr.ShareArgs a = NlmXdr.readShareArgs(args);
        args.expectEnd();
        NlmXdr.writeShareRes(res, v, a.cookie(), nlm.share(a));
    }

    private void unshare(RpcCall call, XdrReader args, XdrWriter res) {
        int v = call.version();
        NlmXdr.ShareArgs a = NlmXdr.readShareArgs(args);
        args.expectEnd();
        NlmXdr.writeShareRes(res, v, a.cookie(), nlm.unshare(a.share()));
    }

    private void freeAll(RpcCall call, XdrReader args, XdrWriter res) {
        NlmXdr.Notify n = NlmXdr.readNotify(args);
        args.expectEnd();
        nlm.hostRebooted(n.name());
    }
}
