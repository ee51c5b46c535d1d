package io.depot.nfs.nfs3;

import io.depot.nfs.fs.Change;
import io.depot.nfs.fs.Created;
import io.depot.nfs.fs.Datastore;
import io.depot.nfs.fs.Inode;
import io.depot.nfs.fs.MemoryFastPath;
import io.depot.nfs.fs.PlannedRead;
import io.depot.nfs.fs.ReadResult;
import io.depot.nfs.fs.SetAttributes;
import io.depot.nfs.fs.VirtualFileSystem;
import io.depot.nfs.fs.WriteResult;
import io.depot.nfs.rpc.RpcCall;
import io.depot.nfs.rpc.RpcDeferredHandler;
import io.depot.nfs.xdr.XdrReader;
import io.depot.nfs.xdr.XdrWriter;
import io.netty.buffer.ByteBuf;

/**
 * The event-loop variants of GETATTR, SETATTR, LOOKUP, READ, WRITE, CREATE and REMOVE: each answers from memory
 * through the datastore's {@link MemoryFastPath}, or declines (false, null) having written
 * nothing, and the procedure then runs on a worker. Only live objects, through exports whose
 * rules need no name lookup, are answered here.
 */
final class Nfs3FastPaths {
    private final MemoryFastPath fast;
    private final NfsExportTable exports;
    private final FileHandle.Codec handles;
    private final Nfs3Replies replies;
    private final long writeVerifier;

    Nfs3FastPaths(MemoryFastPath fast, NfsExportTable exports, Nfs3Replies replies, long writeVerifier) {
        this.fast = fast;
        this.exports = exports;
        this.handles = exports.handles();
        this.replies = replies;
        this.writeVerifier = writeVerifier;
    }


    /** What a fast path may answer from: a live object's export and in-memory attributes. */
    private record InMemory(NfsExport export, Inode inode) {}

    /**
     * The export and cached attributes of {@code fh}, or null when the event loop must not answer:
     * a bad or snapshot handle, an export whose rules need a name lookup or deny the caller, or
     * attributes not in memory (or of an older generation).
     */
    private InMemory inMemory(RpcCall call, byte[] fh) {
        FileHandle h = handles.decode(fh);
        if (h == null || Datastore.isSnapshotObject(h.ino())) {
            return null;
        }
        NfsExport export = exports.byId(h.exportId());
        if (export == null || !NfsExportTable.decidesWithoutLookup(export)
                || NfsExportTable.access(export, call.remote().getAddress()) == NfsExportTable.Access.DENIED) {
            return null;
        }
        Inode i = fast.cachedAttributes(h.ino());
        return i == null || i.generation() != h.generation() ? null : new InMemory(export, i);
    }

    /**
     * GETATTR's fast path on the event loop: a live file whose attributes are in memory, through
     * an export whose rules need no name lookup. Anything else (errors included) goes to
     * {@link Nfs3Program}'s GETATTR on a worker.
     */
    boolean getattrFromMemory(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = Nfs3Args.readHandle(args);
        args.expectEnd();
        InMemory m = inMemory(call, fh);
        if (m == null) {
            return false;
        }
        Inode i = m.inode();
        res.writeInt(Nfs3.OK);
        replies.fattr(res, i);
        return true;
    }

    /**
     * LOOKUP's fast path on the event loop: a name in a live directory whose entry and both
     * attributes are in memory, through an export whose rules need no name lookup. ".", "..",
     * ".snapshots" and everything else go to {@link Nfs3Program}'s LOOKUP on a worker.
     */
    boolean lookupFromMemory(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = Nfs3Args.readHandle(args);
        String name = Nfs3Args.readName(args);
        args.expectEnd();
        if (name.equals(Nfs3Program.SNAPSHOTS)) {
            return false;
        }
        InMemory m = inMemory(call, fh);
        if (m == null) {
            return false;
        }
        NfsExport export = m.export();
        Inode dir = m.inode();
        Inode found = fast.cachedLookup(Nfs3Targets.caller(call, export), dir, name);
        if (found == null) {
            return false;
        }
        res.writeInt(Nfs3.OK);
        res.writeOpaque(replies.handleOf(export, found));
        replies.postOpAttr(res, found);
        replies.postOpAttr(res, dir);
        return true;
    }

    /**
     * READ's fast path on the event loop, tried when the connection is idle (one call in flight,
     * where the two thread handoffs of a worker are a large part of a 1 MiB READ's round trip): a
     * live file whose attributes, open file, mappings and data are in memory, the data in the OS
     * page cache, through an export whose rules need no name lookup. Anything else (errors
     * included) goes to {@link Nfs3Program}'s READ on a worker.
     */
    boolean readFromMemory(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = Nfs3Args.readHandle(args);
        long offset = args.readHyper();
        long count = args.readUnsignedInt();
        args.expectEnd();
        InMemory m = inMemory(call, fh);
        if (m == null) {
            return false;
        }
        int want = (int) Math.min(count, Nfs3.MAX_IO);
        if (want >= PlanBuffers.MIN_BYTES && res.acceptsTrailer()) {
            PlannedRead planned = fast.planFromMemory(Nfs3Targets.caller(call, m.export()), m.inode().ino(), offset, want);
            if (planned != null) {
                replies.readPlanned(res, planned);
                return true;
            }
        }
        int room = VirtualFileSystem.readRoom(want);
        ByteBuf buf = res.alloc().directBuffer(room, room);
        ReadResult r = fast.readFromMemory(Nfs3Targets.caller(call, m.export()), m.inode().ino(), offset, want, buf.nioBuffer(0, room));
        if (r == null) {
            buf.release();
            return false;
        }
        replies.readOk(res, r, buf);
        return true;
    }

    /**
     * WRITE's fast path on the event loop, tried when the connection is idle (as READ's: with
     * several WRITEs in flight, workers copy them into the page cache side by side): an
     * UNSTABLE write that overwrites in place data the file already holds (a VM disk image being
     * rewritten), with the file's attributes, open file, mappings and pages in memory, through an
     * export that lets the client write and needs no name lookup. No worker and no handoff back.
     * Stable writes, extensions, first writes and errors go to {@link Nfs3Program}'s WRITE on a
     * worker (stable ones keep their one commit there).
     */
    boolean writeFromMemory(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = Nfs3Args.readHandle(args);
        long offset = args.readHyper();
        long count = args.readUnsignedInt();
        int stable = args.readInt();
        ByteBuf data = args.readOpaqueSlice(Integer.MAX_VALUE);
        args.expectEnd();
        if (stable != Nfs3.UNSTABLE || count != data.readableBytes() || count > Nfs3.MAX_IO || data.nioBufferCount() != 1) {
            return false; // a record in fragments would have to be gathered first: the worker's job
        }
        InMemory m = writableInMemory(call, fh);
        if (m == null) {
            return false;
        }
        WriteResult w = fast.tryWrite(Nfs3Targets.caller(call, m.export()), m.inode().ino(), offset, data.nioBuffer(data.readerIndex(), (int) count));
        if (w == null) {
            return false;
        }
        replies.written(res, w, writeVerifier);
        return true;
    }

    /**
     * A live directory in memory that the caller may change through its export, for the event
     * loop's CREATE and REMOVE; null when the worker must answer (as {@link #inMemory}, or a
     * read-only export).
     */
    private InMemory writableInMemory(RpcCall call, byte[] fh) {
        InMemory m = inMemory(call, fh);
        if (m == null || NfsExportTable.access(m.export(), call.remote().getAddress()) != NfsExportTable.Access.READ_WRITE) {
            return null;
        }
        return m;
    }

    /** The gate of a reply that reports namespace change {@code ticket}: open once it is durable (§4.7). */
    private RpcDeferredHandler.Gate durable(long ticket) {
        return release -> fast.whenDurable(ticket, release::release);
    }

    /**
     * SETATTR's fast path on the event loop (the kernel client's follows every exclusive CREATE):
     * anything but a size, on a live object whose attributes are in memory, through an export that
     * lets the client write and needs no name lookup. The reply goes out at once; the change is
     * durable with the next commit, as on a worker. Sizes and anything else (errors
     * included) go to {@link Nfs3Program}'s SETATTR on a worker.
     */
    RpcDeferredHandler.Gate setattrFromMemory(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = Nfs3Args.readHandle(args);
        SetAttributes attrs = Nfs3Args.readSattr(args); // anything it refuses is answered by the worker
        Long ctimeGuard = Nfs3Args.readGuard(args);
        args.expectEnd();
        InMemory m = writableInMemory(call, fh);
        if (m == null) {
            return null;
        }
        MemoryFastPath.Pending<Change> p = fast.trySetattr(Nfs3Targets.caller(call, m.export()), m.inode().ino(), attrs, ctimeGuard);
        if (p == null) {
            return null;
        }
        res.writeInt(Nfs3.OK);
        replies.wcc(res, p.result());
        // not among RFC 1813's synchronous procedures: answered now, durable with the next commit
        // (NamespaceStore.endChangeSoon says why)
        fast.commitSoon(p.ticket());
        return release -> release.release(true);
    }

    /**
     * CREATE's fast path on the event loop: a file made in (or found in) a live directory whose
     * entry or absence and attributes are in memory, with no size to set, through an export that
     * lets the client write and needs no name lookup. The reply waits until the change is
     * durable. Anything else (errors included) goes to {@link Nfs3Program}'s CREATE on a worker.
     */
    RpcDeferredHandler.Gate createFromMemory(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = Nfs3Args.readHandle(args);
        String name = Nfs3Args.readName(args);
        Nfs3Args.CreateHow how = Nfs3Args.readCreateHow(args); // anything it refuses is answered by the worker
        args.expectEnd();
        InMemory m = writableInMemory(call, fh);
        if (m == null || (m.inode().ino() == exports.root(m.export()) && name.equals(Nfs3Program.SNAPSHOTS))) {
            return null;
        }
        MemoryFastPath.Pending<Created> p = fast.tryCreate(Nfs3Targets.caller(call, m.export()), m.inode().ino(), name, how.attrs(), how.mode(), how.verifier());
        if (p == null) {
            return null;
        }
        replies.created(res, m.export(), p.result());
        return durable(p.ticket());
    }

    /**
     * REMOVE's fast path on the event loop: a name in a live directory whose entry and
     * attributes are in memory, of a file with no volume left to delete, through an export that
     * lets the client write and needs no name lookup. The reply waits until the removal is
     * durable. Anything else (errors included) goes to {@link Nfs3Program}'s REMOVE on a worker.
     */
    RpcDeferredHandler.Gate removeFromMemory(RpcCall call, XdrReader args, XdrWriter res) {
        byte[] fh = Nfs3Args.readHandle(args);
        String name = Nfs3Args.readName(args);
        args.expectEnd();
        InMemory m = writableInMemory(call, fh);
        if (m == null) {
            return null;
        }
        MemoryFastPath.Pending<Change> p = fast.tryRemove(Nfs3Targets.caller(call, m.export()), m.inode().ino(), name);
        if (p == null) {
            return null;
        }
        res.writeInt(Nfs3.OK);
        replies.wcc(res, p.result());
        return durable(p.ticket());
    }
}
