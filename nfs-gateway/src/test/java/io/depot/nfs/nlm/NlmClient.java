package io.depot.nfs.nlm;

import io.depot.nfs.rpc.RpcClient;
import io.depot.nfs.rpc.RpcReply;
import io.depot.nfs.xdr.XdrReader;
import io.depot.nfs.xdr.XdrWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * A test client speaking NLM over TCP as one host ({@code caller_name}) in one NLM version. A
 * lock's owner handle is derived from its svid, as a kernel client derives it from the process.
 */
final class NlmClient implements AutoCloseable {
    /** TEST's answer: the status and, when DENIED, the holder. */
    record TestReply(NlmStatus status, boolean exclusive, int svid, byte[] oh, long offset, long length) {}

    final int version;
    final String callerName;
    private final RpcClient rpc;
    private int cookies;

    NlmClient(InetSocketAddress server, int version, String callerName) throws IOException {
        this.version = version;
        this.callerName = callerName;
        this.rpc = RpcClient.connect(server, Duration.ofSeconds(10));
    }

    static byte[] ownerHandle(int svid) {
        return ("owner-" + svid).getBytes(StandardCharsets.US_ASCII);
    }

    NlmLock lockOf(byte[] fh, int svid, long offset, long length) {
        return new NlmLock(callerName, fh, ownerHandle(svid), svid, offset, length);
    }

    private byte[] cookie() {
        return new byte[] {(byte) (++cookies >> 8), (byte) cookies};
    }

    /** A call whose reply is nlm_res: the status, after checking the cookie came back. */
    private NlmStatus res(int procedure, byte[] cookie, Consumer<XdrWriter> args) {
        XdrReader r = call(procedure, args).results();
        NlmXdr.Res res = NlmXdr.readRes(r, version);
        if (!java.util.Arrays.equals(cookie, res.cookie())) {
            throw new AssertionError("cookie not echoed");
        }
        return res.status();
    }

    RpcReply call(int procedure, Consumer<XdrWriter> args) {
        try {
            RpcReply reply = rpc.call(Nlm.PROGRAM, version, procedure, args);
            if (!reply.success()) {
                throw new AssertionError("NLM procedure " + procedure + " answered " + reply);
            }
            return reply;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A call that may fail at the RPC level (GARBAGE_ARGS...). */
    RpcReply rawCall(int procedure, Consumer<XdrWriter> args) throws IOException {
        return rpc.call(Nlm.PROGRAM, version, procedure, args);
    }

    NlmStatus lock(byte[] fh, int svid, long offset, long length, boolean exclusive, boolean block) {
        return lock(Nlm.PROC_LOCK, fh, svid, offset, length, exclusive, block, false);
    }

    NlmStatus reclaim(byte[] fh, int svid, long offset, long length, boolean exclusive) {
        return lock(Nlm.PROC_LOCK, fh, svid, offset, length, exclusive, false, true);
    }

    NlmStatus nmLock(byte[] fh, int svid, long offset, long length, boolean exclusive) {
        return lock(Nlm.PROC_NM_LOCK, fh, svid, offset, length, exclusive, false, false);
    }

    NlmStatus lock(int procedure, byte[] fh, int svid, long offset, long length, boolean exclusive, boolean block, boolean reclaim) {
        byte[] c = cookie();
        NlmXdr.LockArgs a = new NlmXdr.LockArgs(c, block, exclusive, lockOf(fh, svid, offset, length), reclaim, 1);
        return res(procedure, c, w -> NlmXdr.writeLockArgs(w, version, a));
    }

    NlmStatus unlock(byte[] fh, int svid, long offset, long length) {
        byte[] c = cookie();
        NlmXdr.UnlockArgs a = new NlmXdr.UnlockArgs(c, lockOf(fh, svid, offset, length));
        return res(Nlm.PROC_UNLOCK, c, w -> NlmXdr.writeUnlockArgs(w, version, a));
    }

    NlmStatus cancel(byte[] fh, int svid, long offset, long length, boolean exclusive) {
        byte[] c = cookie();
        NlmXdr.CancelArgs a = new NlmXdr.CancelArgs(c, true, exclusive, lockOf(fh, svid, offset, length));
        return res(Nlm.PROC_CANCEL, c, w -> NlmXdr.writeCancelArgs(w, version, a));
    }

    TestReply test(byte[] fh, int svid, long offset, long length, boolean exclusive) {
        byte[] c = cookie();
        NlmXdr.TestArgs a = new NlmXdr.TestArgs(c, exclusive, lockOf(fh, svid, offset, length));
        XdrReader r = call(Nlm.PROC_TEST, w -> NlmXdr.writeTestArgs(w, version, a)).results();
        NlmXdr.readNetobj(r);
        NlmStatus s = NlmStatus.of(version, r.readInt());
        if (s != NlmStatus.DENIED) {
            r.expectEnd();
            return new TestReply(s, false, 0, null, 0, 0);
        }
        boolean ex = r.readBoolean();
        int holderSvid = r.readInt();
        byte[] oh = NlmXdr.readNetobj(r);
        long off = version == Nlm.VERSION_4 ? r.readHyper() : r.readUnsignedInt();
        long len = version == Nlm.VERSION_4 ? r.readHyper() : r.readUnsignedInt();
        r.expectEnd();
        return new TestReply(s, ex, holderSvid, oh, off, len);
    }

    NlmStatus share(byte[] fh, byte[] oh, int access, int denyMode, boolean reclaim) {
        return share(Nlm.PROC_SHARE, fh, oh, access, denyMode, reclaim);
    }

    NlmStatus unshare(byte[] fh, byte[] oh) {
        return share(Nlm.PROC_UNSHARE, fh, oh, 0, 0, false);
    }

    private NlmStatus share(int procedure, byte[] fh, byte[] oh, int access, int denyMode, boolean reclaim) {
        byte[] c = cookie();
        NlmXdr.ShareArgs a = new NlmXdr.ShareArgs(c, new NlmShare(callerName, fh, oh, denyMode, access), reclaim);
        XdrReader r = call(procedure, w -> NlmXdr.writeShareArgs(w, a)).results();
        NlmXdr.readNetobj(r);
        NlmStatus s = NlmStatus.of(version, r.readInt());
        r.readInt(); // sequence
        r.expectEnd();
        return s;
    }

    void freeAll(String host) {
        call(Nlm.PROC_FREE_ALL, w -> w.writeString(host).writeInt(7));
    }

    @Override
    public void close() {
        rpc.close();
    }
}
