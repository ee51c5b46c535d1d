package io.depot.nfs.rpc;

import io.depot.nfs.xdr.XdrDecodeException;
import io.depot.nfs.xdr.XdrReader;
import io.depot.nfs.xdr.XdrWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCounted;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes RPC calls to registered programs. Work is split in two: {@link #decode} reads the call
 * header and answers everything that needs no handler (RPC_MISMATCH, auth errors, PROG_UNAVAIL,
 * PROG_MISMATCH, PROC_UNAVAIL) on the event loop; {@link #execute} runs the handler on a worker
 * thread and builds the reply.
 *
 * <p>Order of checks (as Linux's svc_process does): RPC version, credential and verifier, then
 * program, version, procedure, then the program's accepted flavors.
 */
public final class RpcDispatcher {
    private static final Logger log = LoggerFactory.getLogger(RpcDispatcher.class);

    /** Outcome of reading a call header. */
    public sealed interface Decoded permits Reply, Drop, Call {}

    /** Answer at once with this reply (owned by the receiver). */
    public record Reply(ByteBuf reply) implements Decoded {}

    /** Not answerable (not a call, or too short to have an xid). */
    public record Drop(String why) implements Decoded {}

    /**
     * A call to run; {@code record} is owned by it and positioned at the arguments. {@code observer}
     * is told the call's latency, counted from {@code arrivedNanos}.
     */
    public record Call(RpcCall call, RpcProcedure procedure, ByteBuf record, ProcedureObserver observer, long arrivedNanos)
            implements Decoded {}

    /** Procedure numbers below this have their observer cached (NFSv3 has 22, MOUNT 6, portmap 16). */
    private static final int OBSERVED_PROCEDURES = 64;

    private final ConcurrentSkipListMap<Integer, Registered> programs = new ConcurrentSkipListMap<>();
    private final DuplicateRequestCache drc;
    private volatile ProcedureObservers observers = ProcedureObservers.NONE;

    /** A registered program and its procedures' observers by [version - lowest version][procedure], made on first call. */
    private static final class Registered {
        final RpcProgram program;
        final int lowVersion;
        volatile ProcedureObserver[][] observers;

        Registered(RpcProgram program) {
            this.program = program;
            this.lowVersion = program.lowVersion();
            this.observers = new ProcedureObserver[program.highVersion() - lowVersion + 1][OBSERVED_PROCEDURES];
        }
    }

    /** @param drc the cache for non-idempotent procedures, or null for none */
    public RpcDispatcher(DuplicateRequestCache drc) {
        this.drc = drc;
    }

    public void register(RpcProgram program) {
        if (programs.putIfAbsent(program.number(), new Registered(program)) != null) {
            throw new IllegalArgumentException("program " + program.number() + " is already registered");
        }
    }

    public void unregister(int program) {
        programs.remove(program);
    }

    public Collection<RpcProgram> programs() { return programs.values().stream().map(r -> r.program).toList(); }

    /** Reports every executed call to an observer for its procedure (the gateway's metrics). */
    public void observe(ProcedureObservers observers) {
        this.observers = observers;
        for (Registered r : programs.values()) {
            r.observers = new ProcedureObserver[r.observers.length][OBSERVED_PROCEDURES];
        }
    }

    private ProcedureObserver observer(Registered r, int version, RpcProcedure procedure) {
        ProcedureObserver[][] table = r.observers;
        int v = version - r.lowVersion;
        int n = procedure.number();
        if (v < 0 || v >= table.length || n < 0 || n >= OBSERVED_PROCEDURES) {
            return observers.forProcedure(r.program, version, procedure);
        }
        ProcedureObserver o = table[v][n];
        if (o == null) {
            o = observers.forProcedure(r.program, version, procedure);
            table[v][n] = o; // a racing first call may resolve it twice: the same meters either way
        }
        return o;
    }

    public DuplicateRequestCache duplicateRequestCache() { return drc; }

    /** Reads the call header of {@code record} (taking ownership of it). Runs on the event loop. */
    public Decoded decode(ByteBuf record, InetSocketAddress remote, ByteBufAllocator alloc) {
        long arrived = System.nanoTime();
        boolean handedOver = false;
        try {
            if (record.readableBytes() < 8) {
                return new Drop("record of " + record.readableBytes() + " bytes has no call header");
            }
            int xid = record.readInt();
            int type = record.readInt();
            if (type != Rpc.CALL) {
                return new Drop("message type " + type + " is not a call");
            }
            XdrReader r = new XdrReader(record);
            int prog, vers, proc, credFlavor, verfFlavor;
            byte[] credBody;
            try {
                int rpcvers = r.readInt();
                if (rpcvers != Rpc.VERSION) {
                    return new Reply(RpcReplies.rpcMismatch(alloc, xid));
                }
                prog = r.readInt();
                vers = r.readInt();
                proc = r.readInt();
                credFlavor = r.readInt();
                credBody = readAuthBody(r, Rpc.AUTH_BADCRED);
                verfFlavor = r.readInt();
                readAuthBody(r, Rpc.AUTH_BADVERF);
            } catch (XdrDecodeException e) {
                return new Reply(RpcReplies.accepted(alloc, xid, Rpc.GARBAGE_ARGS));
            } catch (RpcErrorException e) {
                return new Reply(RpcReplies.authError(alloc, xid, e.stat()));
            }
            Credential credential;
            try {
                credential = CredentialDecoder.decode(credFlavor, credBody);
            } catch (RpcErrorException e) {
                return new Reply(RpcReplies.authError(alloc, xid, e.stat()));
            }
            // AUTH_NONE and AUTH_SYS calls carry an AUTH_NONE verifier (RFC 5531 §10.1, §10.2)
            if (verfFlavor != Rpc.AUTH_NONE) {
                return new Reply(RpcReplies.authError(alloc, xid, Rpc.AUTH_BADVERF));
            }
            Registered registered = programs.get(prog);
            RpcProgram program = registered == null ? null : registered.program;
            if (program == null) {
                return new Reply(RpcReplies.accepted(alloc, xid, Rpc.PROG_UNAVAIL));
            }
            if (!program.hasVersion(vers)) {
                return new Reply(RpcReplies.progMismatch(alloc, xid, program.lowVersion(), program.highVersion()));
            }
            RpcProcedure procedure = program.procedure(vers, proc);
            if (procedure == null) {
                return new Reply(RpcReplies.accepted(alloc, xid, Rpc.PROC_UNAVAIL));
            }
            if (proc != 0 && !program.accepts(credFlavor)) {
                return new Reply(RpcReplies.authError(alloc, xid, Rpc.AUTH_TOOWEAK));
            }
            handedOver = true;
            return new Call(new RpcCall(xid, prog, vers, proc, credential, remote), procedure, record,
                    observer(registered, vers, procedure), arrived);
        } finally {
            if (!handedOver) {
                record.release();
            }
        }
    }

    /** opaque_auth body: at most 400 bytes (RFC 5531 §8.2), else the given auth_stat. */
    private static byte[] readAuthBody(XdrReader r, int badStat) {
        long n = r.readUnsignedInt();
        if (n > Rpc.MAX_AUTH_BYTES) {
            throw RpcErrorException.authError(badStat, "opaque_auth of " + n + " bytes");
        }
        return r.readFixedOpaque((int) n);
    }

    /**
     * Tries the procedure's fast path (on the event loop of a stream connection). Returns the reply
     * (a ByteBuf or a {@link BorrowedRecord}, owned by the caller; the record is released; the
     * observer told, as by {@link #execute}), or null when the fast path declined: the call and
     * its record are then as they were, for {@link #execute} on a worker.
     */
    public Object tryQuick(Call c, ByteBufAllocator alloc) {
        RpcQuickHandler quick = c.procedure().quick();
        if (quick == null) {
            return null;
        }
        RpcCall call = c.call();
        int mark = c.record().readerIndex();
        XdrWriter w = new XdrWriter(alloc, true);
        boolean answered = false;
        try {
            RpcReplies.acceptedHeader(w, call.xid(), Rpc.SUCCESS);
            answered = quick.tryHandle(call, new XdrReader(c.record()), w);
        } catch (XdrDecodeException e) {
            w.release();
            c.record().release();
            c.observer().completed(System.nanoTime() - c.arrivedNanos());
            log.debug("GARBAGE_ARGS for {} {}: {}", c.procedure().name(), call, e.getMessage());
            return RpcReplies.accepted(alloc, call.xid(), Rpc.GARBAGE_ARGS);
        } catch (RuntimeException e) {
            log.debug("fast path of {} gave up on {}: {}", c.procedure().name(), call, e.toString());
        }
        if (!answered) {
            w.release();
            c.record().readerIndex(mark);
            return null;
        }
        c.record().release();
        c.observer().completed(System.nanoTime() - c.arrivedNanos());
        return finish(w);
    }

    /** The reply {@code w} wrote: its buffer, or a {@link BorrowedRecord} when it ended with one. */
    private static Object finish(XdrWriter w) {
        ByteBuf head = w.finish();
        ReferenceCounted trailer = w.takeTrailer();
        if (trailer == null || trailer instanceof BorrowedRecord) {
            return trailer == null ? head : ((BorrowedRecord) trailer).withHead(head);
        }
        head.release();
        trailer.release();
        throw new IllegalStateException("a trailer this transport cannot send: " + trailer.getClass().getName());
    }

    /** Where {@link #tryDeferred} delivers a call's outcome, once, on any thread. */
    @FunctionalInterface
    public interface DeferredReply {
        /**
         * {@code reply} (owned by the receiver) to send, or null for none: a retransmission of a
         * call still executing, or ({@code close}) a change that could not be made durable, whose
         * connection is to be closed so that the client retries.
         */
        void done(ByteBuf reply, boolean close);
    }

    /**
     * Tries the procedure's deferred fast path (on the event loop), through the duplicate request
     * cache. Returns false when there is none or it declined: the call and its record are then as
     * they were, for {@link #execute} on a worker. Returns true when it took the call (and
     * released its record): {@code out} is then called exactly once, possibly from another
     * thread, when the reply may leave.
     */
    public boolean tryDeferred(Call c, ByteBufAllocator alloc, DeferredReply out) {
        RpcDeferredHandler deferred = c.procedure().deferred();
        if (deferred == null) {
            return false;
        }
        RpcCall call = c.call();
        ByteBuf record = c.record();
        int mark = record.readerIndex();
        DuplicateRequestCache.Key key = null;
        if (drc != null) {
            key = DuplicateRequestCache.key(call, record);
            DuplicateRequestCache.Lookup seen = drc.begin(key);
            if (!(seen instanceof DuplicateRequestCache.Lookup.Execute)) {
                record.release();
                out.done(seen instanceof DuplicateRequestCache.Lookup.Replay replay ? Unpooled.wrappedBuffer(replay.reply()) : null, false);
                return true;
            }
        }
        XdrWriter w = new XdrWriter(alloc);
        RpcDeferredHandler.Gate gate = null;
        try {
            RpcReplies.acceptedHeader(w, call.xid(), Rpc.SUCCESS);
            gate = deferred.tryHandle(call, new XdrReader(record), w);
        } catch (XdrDecodeException e) {
            w.release();
            record.release();
            log.debug("GARBAGE_ARGS for {} {}: {}", c.procedure().name(), call, e.getMessage());
            ByteBuf garbage = RpcReplies.accepted(alloc, call.xid(), Rpc.GARBAGE_ARGS);
            if (key != null) {
                drc.complete(key, garbage);
            }
            out.done(garbage, false);
            return true;
        } catch (RuntimeException e) {
            log.debug("deferred fast path of {} gave up on {}: {}", c.procedure().name(), call, e.toString());
        }
        if (gate == null) {
            w.release();
            record.readerIndex(mark);
            if (key != null) {
                drc.abandon(key); // the worker begins it again
            }
            return false;
        }
        record.release();
        ByteBuf reply = w.finish();
        DuplicateRequestCache.Key k = key;
        gate.whenOpen(send -> {
            if (send) {
                c.observer().completed(System.nanoTime() - c.arrivedNanos());
                if (k != null) {
                    drc.complete(k, reply);
                }
                out.done(reply, false);
            } else {
                reply.release();
                if (k != null) {
                    drc.abandon(k);
                }
                out.done(null, true);
            }
        });
        return true;
    }

    /** {@link #execute(Call, ByteBufAllocator, boolean)} for a datagram: the reply is a ByteBuf. */
    public ByteBuf execute(Call c, ByteBufAllocator alloc) {
        return (ByteBuf) execute(c, alloc, false);
    }

    /**
     * Runs the handler and returns the reply (owned by the caller), or null when the call is a
     * retransmission of one still executing. On a {@code stream} the reply may be a
     * {@link BorrowedRecord} (only an idempotent procedure's: the duplicate request cache keeps
     * buffers). Releases the call's record. Runs on a worker thread.
     */
    public Object execute(Call c, ByteBufAllocator alloc, boolean stream) {
        try {
            DuplicateRequestCache.Key key = null;
            if (!c.procedure().idempotent() && drc != null) {
                key = DuplicateRequestCache.key(c.call(), c.record());
                DuplicateRequestCache.Lookup seen = drc.begin(key);
                if (seen instanceof DuplicateRequestCache.Lookup.InProgress) {
                    log.debug("dropping retransmission of {} still in progress", c.call());
                    return null;
                }
                if (seen instanceof DuplicateRequestCache.Lookup.Replay replay) {
                    log.debug("replaying the cached reply to {}", c.call());
                    return Unpooled.wrappedBuffer(replay.reply());
                }
            }
            Object reply = run(c, alloc, stream && c.procedure().idempotent());
            c.observer().completed(System.nanoTime() - c.arrivedNanos());
            if (key != null) {
                drc.complete(key, (ByteBuf) reply);
            }
            return reply;
        } finally {
            c.record().release();
        }
    }

    private Object run(Call c, ByteBufAllocator alloc, boolean trailers) {
        RpcCall call = c.call();
        XdrWriter w = new XdrWriter(alloc, trailers);
        try {
            RpcReplies.acceptedHeader(w, call.xid(), Rpc.SUCCESS);
            c.procedure().handler().handle(call, new XdrReader(c.record()), w);
            return finish(w);
        } catch (XdrDecodeException e) {
            w.release();
            log.debug("GARBAGE_ARGS for {} {}: {}", c.procedure().name(), call, e.getMessage());
            return RpcReplies.accepted(alloc, call.xid(), Rpc.GARBAGE_ARGS);
        } catch (RpcErrorException e) {
            w.release();
            log.debug("{} refused {}: {}", c.procedure().name(), call, e.getMessage());
            return e.denied() ? RpcReplies.authError(alloc, call.xid(), e.stat())
                    : RpcReplies.accepted(alloc, call.xid(), e.stat());
        } catch (Exception e) {
            w.release();
            log.warn("{} failed for {}: answering SYSTEM_ERR", c.procedure().name(), call, e);
            return RpcReplies.accepted(alloc, call.xid(), Rpc.SYSTEM_ERR);
        }
    }
}
