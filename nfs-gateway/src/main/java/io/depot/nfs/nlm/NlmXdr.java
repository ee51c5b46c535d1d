package io.depot.nfs.nlm;

import io.depot.nfs.xdr.XdrDecodeException;
import io.depot.nfs.xdr.XdrReader;
import io.depot.nfs.xdr.XdrWriter;

/**
 * The XDR of NLM's arguments and results, for every version: v1 and v3 carry offsets and lengths
 * as unsigned 32-bit numbers and the process id as {@code uppid}; v4 as unsigned 64-bit numbers
 * and {@code svid}. Decoding is strict (booleans 0 or 1, lengths within the protocol's limits),
 * so a malformed call is GARBAGE_ARGS.
 */
final class NlmXdr {
    private NlmXdr() {}

    /** nlm_lockargs: LOCK, LOCK_MSG, NM_LOCK. */
    record LockArgs(byte[] cookie, boolean block, boolean exclusive, NlmLock lock, boolean reclaim, int state) {}

    /** nlm_testargs: TEST, TEST_MSG, GRANTED, GRANTED_MSG. */
    record TestArgs(byte[] cookie, boolean exclusive, NlmLock lock) {}

    /** nlm_cancargs: CANCEL, CANCEL_MSG. */
    record CancelArgs(byte[] cookie, boolean block, boolean exclusive, NlmLock lock) {}

    /** nlm_unlockargs: UNLOCK, UNLOCK_MSG. */
    record UnlockArgs(byte[] cookie, NlmLock lock) {}

    /** nlm_shareargs: SHARE, UNSHARE. */
    record ShareArgs(byte[] cookie, NlmShare share, boolean reclaim) {}

    /** nlm_res: the *_RES procedures (the test result's holder, if any, is skipped). */
    record Res(byte[] cookie, NlmStatus status) {}

    /** nlm_notify: FREE_ALL. */
    record Notify(String name, int state) {}

    static byte[] readNetobj(XdrReader r) {
        return r.readOpaque(Nlm.MAX_NETOBJ);
    }

    static NlmLock readLock(XdrReader r, int version) {
        String caller = r.readString(Nlm.MAX_STRING);
        byte[] fh = readNetobj(r);
        byte[] oh = readNetobj(r);
        int svid = r.readInt();
        long offset;
        long length;
        if (version == Nlm.VERSION_4) {
            offset = r.readHyper();
            length = r.readHyper();
        } else {
            offset = r.readUnsignedInt();
            length = r.readUnsignedInt();
        }
        return new NlmLock(caller, fh, oh, svid, offset, length);
    }

    static LockArgs readLockArgs(XdrReader r, int version) {
        byte[] cookie = readNetobj(r);
        boolean block = r.readBoolean();
        boolean exclusive = r.readBoolean();
        NlmLock lock = readLock(r, version);
        return new LockArgs(cookie, block, exclusive, lock, r.readBoolean(), r.readInt());
    }

    static TestArgs readTestArgs(XdrReader r, int version) {
        byte[] cookie = readNetobj(r);
        boolean exclusive = r.readBoolean();
        return new TestArgs(cookie, exclusive, readLock(r, version));
    }

    static CancelArgs readCancelArgs(XdrReader r, int version) {
        byte[] cookie = readNetobj(r);
        boolean block = r.readBoolean();
        boolean exclusive = r.readBoolean();
        return new CancelArgs(cookie, block, exclusive, readLock(r, version));
    }

    static UnlockArgs readUnlockArgs(XdrReader r, int version) {
        return new UnlockArgs(readNetobj(r), readLock(r, version));
    }

    static ShareArgs readShareArgs(XdrReader r) {
        byte[] cookie = readNetobj(r);
        String caller = r.readString(Nlm.MAX_STRING);
        byte[] fh = readNetobj(r);
        byte[] oh = readNetobj(r);
        int mode = r.readInt();
        int access = r.readInt();
        if (mode < 0 || mode > 3 || access < 0 || access > 3) {
            throw new XdrDecodeException("share mode " + mode + " or access " + access + " out of range");
        }
        return new ShareArgs(cookie, new NlmShare(caller, fh, oh, mode, access), r.readBoolean());
    }

    static Res readRes(XdrReader r, int version) {
        byte[] cookie = readNetobj(r);
        return new Res(cookie, NlmStatus.of(version, r.readInt()));
    }

    static Notify readNotify(XdrReader r) {
        return new Notify(r.readString(Nlm.MAX_NOTIFY_NAME), r.readInt());
    }

    // ------------------------------------------------------------------ writing

    static void writeLock(XdrWriter w, int version, NlmLock l) {
        w.writeString(l.callerName()).writeOpaque(l.fh()).writeOpaque(l.oh()).writeInt(l.svid());
        writeRange(w, version, l.offset(), l.length());
    }

    /** An offset and length; for v1/v3 clamped to 32 bits, a range that does not fit running to the end of the file. */
    private static void writeRange(XdrWriter w, int version, long offset, long length) {
        if (version == Nlm.VERSION_4) {
            w.writeHyper(offset).writeHyper(length);
            return;
        }
        boolean offsetFits = Long.compareUnsigned(offset, Nlm.MAX_UINT32) <= 0;
        boolean lengthFits = length == 0 || (offsetFits && Long.compareUnsigned(length, Nlm.MAX_UINT32) <= 0
                && Long.compareUnsigned(offset + length - 1, Nlm.MAX_UINT32) <= 0);
        w.writeUnsignedInt(offsetFits ? offset : Nlm.MAX_UINT32);
        w.writeUnsignedInt(lengthFits ? length : 0);
    }

    static void writeLockArgs(XdrWriter w, int version, LockArgs a) {
        w.writeOpaque(a.cookie()).writeBoolean(a.block()).writeBoolean(a.exclusive());
        writeLock(w, version, a.lock());
        w.writeBoolean(a.reclaim()).writeInt(a.state());
    }

    static void writeTestArgs(XdrWriter w, int version, TestArgs a) {
        w.writeOpaque(a.cookie()).writeBoolean(a.exclusive());
        writeLock(w, version, a.lock());
    }

    static void writeCancelArgs(XdrWriter w, int version, CancelArgs a) {
        w.writeOpaque(a.cookie()).writeBoolean(a.block()).writeBoolean(a.exclusive());
        writeLock(w, version, a.lock());
    }

    static void writeUnlockArgs(XdrWriter w, int version, UnlockArgs a) {
        w.writeOpaque(a.cookie());
        writeLock(w, version, a.lock());
    }

    static void writeShareArgs(XdrWriter w, ShareArgs a) {
        NlmShare s = a.share();
        w.writeOpaque(a.cookie()).writeString(s.callerName()).writeOpaque(s.fh()).writeOpaque(s.oh())
                .writeInt(s.mode()).writeInt(s.access()).writeBoolean(a.reclaim());
    }

    /** nlm_res / nlm4_res. */
    static void writeRes(XdrWriter w, int version, byte[] cookie, NlmStatus status) {
        w.writeOpaque(cookie).writeInt(status.code(version));
    }

    /** nlm_testres: the status, and with DENIED the holder (exclusive, svid, oh, offset, length). */
    static void writeTestRes(XdrWriter w, int version, byte[] cookie, NlmStatus status, FileLock holder) {
        w.writeOpaque(cookie).writeInt(status.code(version));
        if (status == NlmStatus.DENIED) {
            LockOwner o = holder.owner();
            w.writeBoolean(holder.exclusive()).writeInt(o.svid()).writeOpaque(o.handle());
            writeRange(w, version, holder.range().offset(), holder.range().length());
        }
    }

    /** nlm_shareres: the status and a sequence number (unused, 0). */
    static void writeShareRes(XdrWriter w, int version, byte[] cookie, NlmStatus status) {
        w.writeOpaque(cookie).writeInt(status.code(version)).writeInt(0);
    }
}
