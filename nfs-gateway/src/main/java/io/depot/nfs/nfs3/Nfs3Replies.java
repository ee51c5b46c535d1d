package io.depot.nfs.nfs3;

import io.depot.nfs.fs.Change;
import io.depot.nfs.fs.Created;
import io.depot.nfs.fs.Datastore;
import io.depot.nfs.fs.Inode;
import io.depot.nfs.fs.PlannedRead;
import io.depot.nfs.fs.ReadResult;
import io.depot.nfs.fs.WriteResult;
import io.depot.nfs.rpc.BorrowedRecord;
import io.depot.nfs.xdr.XdrReader;
import io.depot.nfs.xdr.XdrWriter;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;

/**
 * Encoding of the XDR result types NFSv3 procedures share: attributes (fattr3, post_op_attr,
 * wcc_data), handles (post_op_fh3), and the success arms that a procedure and its event-loop
 * fast path both write (READ3resok, the result of CREATE and its kin).
 */
final class Nfs3Replies {
    private final Datastore fs;
    private final FileHandle.Codec handles;
    private final long fsid;

    Nfs3Replies(Datastore fs, FileHandle.Codec handles, long fsid) {
        this.fs = fs;
        this.handles = handles;
        this.fsid = fsid;
    }


    byte[] handleOf(NfsExport export, Inode i) {
        return handles.encode(new FileHandle(export.id(), i.ino(), i.generation()));
    }

    // ------------------------------------------------------------------ XDR of attributes

    private static void time(XdrWriter w, long nanos) {
        w.writeInt((int) Math.floorDiv(nanos, 1_000_000_000L));
        w.writeInt((int) Math.floorMod(nanos, 1_000_000_000L));
    }

    /** fattr3 (§2.6). */
    void fattr(XdrWriter w, Inode i) {
        w.writeInt(i.type().code());
        w.writeInt(i.mode() & 07777);
        w.writeInt(i.nlink());
        w.writeInt(i.uid());
        w.writeInt(i.gid());
        w.writeHyper(i.size());
        w.writeHyper(fs.allocatedBytes(i));
        w.writeInt(i.rdevMajor());
        w.writeInt(i.rdevMinor());
        w.writeHyper(fsid);
        w.writeHyper(i.ino());
        time(w, i.atime());
        time(w, i.mtime());
        time(w, i.ctime());
    }

    void postOpAttr(XdrWriter w, Inode i) {
        w.writeBoolean(i != null);
        if (i != null) {
            fattr(w, i);
        }
    }

    /** wcc_data: pre-op (size, mtime, ctime) and post-op attributes, each optional. */
    void wcc(XdrWriter w, Inode before, Inode after) {
        w.writeBoolean(before != null);
        if (before != null) {
            w.writeHyper(before.size());
            time(w, before.mtime());
            time(w, before.ctime());
        }
        postOpAttr(w, after);
    }

    void wcc(XdrWriter w, Change c) {
        wcc(w, c.before(), c.after());
    }

    void postOpHandle(XdrWriter w, NfsExport export, Inode i) {
        w.writeBoolean(i != null);
        if (i != null) {
            w.writeOpaque(handleOf(export, i));
        }
    }

    /** READ3resok: {@code r}'s data is a view of {@code buf}, which goes to the reply as it is (taking ownership of it). */
    void readOk(XdrWriter res, ReadResult r, ByteBuf buf) {
        ByteBuffer data = r.data();
        buf.setIndex(data.position(), data.limit());
        res.writeInt(Nfs3.OK);
        postOpAttr(res, r.attributes());
        res.writeInt(data.remaining());
        res.writeBoolean(r.eof());
        res.writeOpaque(buf);
    }

    /** READ3resok from a plan: the data goes as borrowed views after the XDR (see {@link PlanBuffers}); owns the plan. */
    void readPlanned(XdrWriter res, PlannedRead r) {
        BorrowedRecord data = PlanBuffers.of(r.plan(), XdrReader.padded(r.count()) - r.count());
        try {
            res.writeInt(Nfs3.OK);
            postOpAttr(res, r.attributes());
            res.writeInt(r.count());
            res.writeBoolean(r.eof());
            res.writeInt(r.count());
        } catch (RuntimeException e) {
            data.release();
            throw e;
        }
        res.endWith(data);
    }

    /** WRITE3resok. */
    void written(XdrWriter res, WriteResult w, long verifier) {
        res.writeInt(Nfs3.OK);
        wcc(res, w.file());
        res.writeInt(w.count());
        res.writeInt(switch (w.committed()) {
            case UNSTABLE -> Nfs3.UNSTABLE;
            case DATA_SYNC -> Nfs3.DATA_SYNC;
            case FILE_SYNC -> Nfs3.FILE_SYNC;
        });
        res.writeHyper(verifier);
    }

    /** The common result of CREATE, MKDIR, SYMLINK, MKNOD: post_op_fh3, post_op_attr, wcc_data. */
    void created(XdrWriter res, NfsExport export, Created c) {
        res.writeInt(Nfs3.OK);
        postOpHandle(res, export, c.object());
        postOpAttr(res, c.object());
        wcc(res, c.directory());
    }
}
