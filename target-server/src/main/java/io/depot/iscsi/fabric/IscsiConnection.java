package io.depot.iscsi.fabric;

import io.depot.iscsi.fabric.login.Digest;
import io.depot.iscsi.fabric.login.LoginNegotiation;
import io.depot.iscsi.fabric.login.LoginRequest;
import io.depot.iscsi.fabric.login.LoginResponse;
import io.depot.iscsi.fabric.login.NegotiatedSession;
import io.depot.iscsi.fabric.login.SessionType;
import io.depot.iscsi.fabric.login.TextNegotiation;
import io.depot.iscsi.fabric.pdu.DataDigestError;
import io.depot.iscsi.fabric.pdu.Opcode;
import io.depot.iscsi.fabric.pdu.OutPdu;
import io.depot.iscsi.fabric.pdu.Pdu;
import io.depot.iscsi.fabric.pdu.PduDecoder;
import io.depot.iscsi.fabric.pdu.PduEncoder;
import io.depot.iscsi.scsi.ItNexus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP connection of the iSCSI fabric: the login phase, then Full Feature Phase dispatch of
 * every initiator PDU (RFC 7143 §11). All state is touched on the channel's event loop only;
 * SCSI commands run on the server's I/O workers and come back here to be answered.
 */
final class IscsiConnection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(IscsiConnection.class);
    static final int RESERVED_TAG = 0xffffffff;
    /** Immediate commands (outside the CmdSN window) a session may have pending at once. */
    private static final int MAX_IMMEDIATE = 16;

    // Reject reasons (RFC 7143 §11.17.1)
    static final int REJECT_DATA_DIGEST = 0x02;
    static final int REJECT_SNACK = 0x03;
    static final int REJECT_PROTOCOL_ERROR = 0x04;
    static final int REJECT_NOT_SUPPORTED = 0x05;
    static final int REJECT_TOO_MANY_IMMEDIATE = 0x06;
    static final int REJECT_INVALID_PDU_FIELD = 0x09;
    static final int REJECT_WAITING_FOR_LOGOUT = 0x0c;

    enum Phase { LOGIN, FULL_FEATURE, LOGGING_OUT, CLOSED }

    private final IscsiServer server;
    private final PduDecoder decoder;
    private final PduEncoder encoder;
    private final LoginNegotiation login;
    private ChannelHandlerContext ctx;
    private Phase phase = Phase.LOGIN;
    /** Set by a login that reinstated a session: the old connection's close, which the final login response waits for. */
    private Future<?> replacedConnectionClosed;
    private IscsiSession session;
    private final ScsiTaskRunner runner;
    private final TaskManagement taskManagement;

    private int statSN;
    private boolean firstLoginPdu = true;
    private int loginCmdSN;
    private int immediateInFlight;
    /** Non-immediate PDUs that arrived ahead of ExpCmdSN, by CmdSN; bounded by the window. */
    private final Map<Integer, Pdu> ahead = new HashMap<>();
    private int nextTargetTag = 1;
    private int pendingNopTag = RESERVED_TAG;
    private long pendingNopSince;
    private TextExchange text;

    IscsiConnection(IscsiServer server, PduDecoder decoder, PduEncoder encoder) {
        this.server = server;
        this.decoder = decoder;
        this.encoder = encoder;
        this.login = new LoginNegotiation(server.targets(), server.limits(), server.settings().portalGroupTag(), server.random());
        this.runner = new ScsiTaskRunner(this);
        this.taskManagement = new TaskManagement(this);
    }

    // ------------------------------------------------------------------ accessors for collaborators

    IscsiServer server() { return server; }

    IscsiSession session() { return session; }

    ChannelHandlerContext ctx() { return ctx; }

    boolean inEventLoop() { return ctx.executor().inEventLoop(); }

    void runOnLoop(Runnable r) {
        if (ctx.executor().inEventLoop()) {
            r.run();
        } else {
            ctx.executor().execute(r);
        }
    }

    int newTargetTag() {
        int tag = nextTargetTag++;
        if (nextTargetTag == RESERVED_TAG) {
            nextTargetTag = 1;
        }
        return tag;
    }

    // ------------------------------------------------------------------ channel events

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (phase == Phase.CLOSED) {
                return;
            }
            if (msg instanceof DataDigestError err) {
                log.warn("{}: data digest error on {}; rejecting it", this, Opcode.name(err.bhs().getByte(0) & 0x3f));
                reject(err.bhs(), REJECT_DATA_DIGEST);
                return;
            }
            Pdu pdu = (Pdu) msg;
            if (phase == Phase.LOGIN) {
                onLoginPhasePdu(pdu);
            } else {
                onFullFeaturePdu(pdu);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (root instanceof SocketException || root instanceof java.io.IOException) {
            log.debug("{}: connection error: {}", this, root.toString());
        } else if (root instanceof io.depot.iscsi.fabric.pdu.PduFormatException) {
            log.warn("{}: dropping the connection: {}", this, root.getMessage());
        } else {
            log.error("{}: unexpected error, dropping the connection", this, root);
        }
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Phase was = phase;
        phase = Phase.CLOSED;
        ahead.values().forEach(Pdu::release);
        ahead.clear();
        if (text != null) {
            text = null;
        }
        if (session != null) {
            runner.abortAll("connection closed");
            if (server.sessions().remove(session.key, session)) {
                if (session.nexus != null) {
                    session.target.commandLayer().nexusRemoved(session.nexus);
                }
                log.info("{} ended{}", session, was == Phase.LOGGING_OUT ? " (logout)" : " (connection closed)");
            }
        }
        server.connectionClosed(this);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (!(evt instanceof IdleStateEvent) || phase != Phase.FULL_FEATURE) {
            return;
        }
        long now = System.nanoTime();
        if (pendingNopTag != RESERVED_TAG) {
            if (now - pendingNopSince >= server.settings().nopTimeout().toNanos()) {
                log.warn("{}: no answer to a NOP-In ping for {} s; dropping the connection", this,
                        server.settings().nopTimeout().toSeconds());
                ctx.close();
            }
            return;
        }
        pendingNopTag = newTargetTag();
        pendingNopSince = now;
        OutPdu nop = OutPdu.of(ctx.alloc(), Opcode.NOP_IN, 0x80, null)
                .setInt(16, RESERVED_TAG).setInt(20, pendingNopTag);
        send(nop, false);
        ctx.flush();
    }

    // ------------------------------------------------------------------ login phase

    private void onLoginPhasePdu(Pdu pdu) {
        if (pdu.opcode() != Opcode.LOGIN_REQUEST) {
            // RFC 7143 §6.3: only Login Requests before Full Feature Phase; a protocol error ends the login
            log.warn("{}: {} during login; dropping the connection", this, Opcode.name(pdu.opcode()));
            ctx.close();
            return;
        }
        int flags = pdu.flags();
        long isid = pdu.bhs().getLong(8) >>> 16;
        int tsih = pdu.bhs().getUnsignedShort(14);
        int cid = pdu.bhs().getUnsignedShort(20);
        if (firstLoginPdu) {
            firstLoginPdu = false;
            loginCmdSN = pdu.cmdSN();
            statSN = server.random().nextInt(1 << 30); // any value is legal; small ones suit initiators with signed counters
        }
        byte[] data = new byte[pdu.data().readableBytes()];
        pdu.data().getBytes(pdu.data().readerIndex(), data);
        LoginRequest request = new LoginRequest((flags & 0x80) != 0, (flags & 0x40) != 0, (flags >>> 2) & 3, flags & 3,
                pdu.getByte(2), pdu.getByte(3), isid, tsih, cid, data);
        LoginResponse response = login.handle(request);
        int statusClass = response.statusClass();
        int statusDetail = response.statusDetail();
        int assignedTsih = 0;
        if (login.isComplete() && statusClass == 0) {
            try {
                assignedTsih = admit(login.result(), pdu.cmdSN());
            } catch (SessionRegistry.RefusedException e) {
                log.warn("{}: login refused: {}", this, e.getMessage());
                statusClass = e.statusClass;
                statusDetail = e.statusDetail;
            }
        }
        boolean success = statusClass == 0;
        int rflags = success
                ? (response.transit() ? 0x80 : 0) | (response.cont() ? 0x40 : 0) | (response.csg() << 2) | response.nsg()
                : (response.csg() << 2);
        OutPdu out = OutPdu.of(ctx.alloc(), Opcode.LOGIN_RESPONSE, rflags,
                success && response.data() != null ? Unpooled.wrappedBuffer(response.data()) : null);
        out.setByte(2, 0).setByte(3, 0)
                .setLong(8, (isid << 16) | (success ? assignedTsih : tsih))
                .setInt(16, pdu.itt())
                .setInt(24, statSN++)
                .setInt(28, session != null ? session.expCmdSN : loginCmdSN)
                .setInt(32, session != null ? session.maxCmdSN() : loginCmdSN + server.settings().commandWindow() - 1)
                .setByte(36, statusClass).setByte(37, statusDetail);
        if (!success) {
            ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
            phase = Phase.CLOSED;
            return;
        }
        if (session == null) {
            ctx.writeAndFlush(out);
            return;
        }
        NegotiatedSession n = session.negotiated;
        boolean hd = n.connection().headerDigest() == Digest.CRC32C;
        boolean dd = n.connection().dataDigest() == Digest.CRC32C;
        // The final login response goes out without digests; everything after it uses the negotiated ones.
        Runnable answer = () -> {
            ctx.writeAndFlush(out);
            encoder.configure(hd, dd);
        };
        // A reinstated session's connection is closed before the new login completes (RFC 7143 §6.3.5): the
        // initiator must never see the old connection still answering once it holds the new session.
        Future<?> replaced = replacedConnectionClosed;
        replacedConnectionClosed = null;
        if (replaced == null || replaced.isDone()) {
            answer.run();
        } else {
            replaced.addListener(f -> runOnLoop(answer));
        }
        decoder.configure(hd, dd,
                n.connection().targetMaxRecvDataSegmentLength());
        phase = Phase.FULL_FEATURE;
    }

    /** Registers the negotiated session (reinstating an older one with the same ISID); returns its TSIH. */
    private int admit(NegotiatedSession n, int cmdSN) throws SessionRegistry.RefusedException {
        IscsiTarget target = n.type() == SessionType.DISCOVERY ? null : server.targets().get(n.targetName());
        if (n.type() != SessionType.DISCOVERY && target == null) {
            throw new SessionRegistry.RefusedException(0x02, 0x04, "target " + n.targetName() + " was removed during login");
        }
        ItNexus nexus = target == null ? null
                : new ItNexus(n.initiatorName(), n.isid(), target.name(), server.settings().portalGroupTag(), 1);
        SessionRegistry.Key key = new SessionRegistry.Key(n.initiatorName(), n.isid(), n.targetName());
        SessionRegistry.Admission a = server.sessions().admit(key, n.tsih(),
                tsih -> new IscsiSession(tsih, key, target, nexus, n, server.settings().commandWindow(), cmdSN));
        if (a.replaced() != null) {
            log.info("{}: reinstating {}", this, a.replaced());
            replacedConnectionClosed = a.replaced().connection().reinstated();
            if (nexus != null) {
                target.commandLayer().nexusRemoved(nexus);
            }
        }
        session = a.session();
        session.attach(this);
        if (nexus != null) {
            target.commandLayer().nexusAdded(nexus);
        }
        log.info("{} logged in from {} (header digest {}, data digest {})", session, ctx.channel().remoteAddress(),
                n.connection().headerDigest(), n.connection().dataDigest());
        return session.tsih();
    }

    /** Another login took over this session (reinstatement): stop answering and close; completes once closed. */
    Future<?> reinstated() {
        runOnLoop(() -> {
            if (session != null) {
                runner.abortAll("session reinstated");
            }
            phase = Phase.CLOSED;
            ctx.close();
        });
        return ctx.channel().closeFuture();
    }

    // ------------------------------------------------------------------ full feature phase

    private void onFullFeaturePdu(Pdu pdu) {
        int op = pdu.opcode();
        if (phase == Phase.LOGGING_OUT && op != Opcode.NOP_OUT) {
            reject(pdu.bhs(), REJECT_WAITING_FOR_LOGOUT); // the session is closing: no new work
            return;
        }
        if (op == Opcode.DATA_OUT) {
            runner.onDataOut(pdu);
            return;
        }
        if (op == Opcode.SNACK_REQUEST) {
            reject(pdu.bhs(), REJECT_NOT_SUPPORTED); // ErrorRecoveryLevel 0 has no SNACK
            return;
        }
        if (op != Opcode.NOP_OUT && op != Opcode.SCSI_COMMAND && op != Opcode.TASK_MGMT_REQUEST
                && op != Opcode.TEXT_REQUEST && op != Opcode.LOGOUT_REQUEST) {
            reject(pdu.bhs(), op == Opcode.LOGIN_REQUEST ? REJECT_PROTOCOL_ERROR : REJECT_NOT_SUPPORTED);
            return;
        }
        if (op == Opcode.NOP_OUT && pdu.itt() == RESERVED_TAG) {
            onNopAnswer(pdu); // an answer to our ping: no CmdSN of its own
            return;
        }
        if (pdu.immediate()) {
            if (immediateInFlight >= MAX_IMMEDIATE) {
                reject(pdu.bhs(), REJECT_TOO_MANY_IMMEDIATE);
                return;
            }
            dispatch(pdu);
            return;
        }
        int cmdSN = pdu.cmdSN();
        if (cmdSN == session.expCmdSN) {
            session.expCmdSN++;
            dispatch(pdu);
            drainAhead();
        } else if (IscsiSession.before(session.expCmdSN, cmdSN) && !IscsiSession.before(session.maxCmdSN(), cmdSN)) {
            Pdu old = ahead.put(cmdSN, (Pdu) pdu.retain()); // within the window: wait for the gap to fill
            if (old != null) {
                old.release(); // a resend of the same CmdSN replaces the first copy
            }
        } else {
            // RFC 7143 §4.2.2.1: outside the window (or a duplicate): silently ignored
            log.debug("{}: ignoring {} with CmdSN {} outside [{}, {}]", this, pdu, cmdSN, session.expCmdSN, session.maxCmdSN());
        }
    }

    private void drainAhead() {
        Pdu next;
        while ((next = ahead.remove(session.expCmdSN)) != null) {
            try {
                session.expCmdSN++;
                dispatch(next);
            } finally {
                next.release();
            }
        }
    }

    private void dispatch(Pdu pdu) {
        switch (pdu.opcode()) {
            case Opcode.NOP_OUT -> onNopPing(pdu);
            case Opcode.SCSI_COMMAND -> {
                if (session.isDiscovery()) {
                    reject(pdu.bhs(), REJECT_PROTOCOL_ERROR); // RFC 7143 §4.3.1: discovery sessions carry text and logout only
                } else {
                    runner.onCommand(pdu);
                }
            }
            case Opcode.TASK_MGMT_REQUEST -> {
                if (session.isDiscovery()) {
                    reject(pdu.bhs(), REJECT_PROTOCOL_ERROR);
                } else {
                    taskManagement.onRequest(pdu);
                }
            }
            case Opcode.TEXT_REQUEST -> onText(pdu);
            case Opcode.LOGOUT_REQUEST -> onLogout(pdu);
            default -> reject(pdu.bhs(), REJECT_NOT_SUPPORTED);
        }
    }

    void immediateStarted() { immediateInFlight++; }

    void immediateFinished() { immediateInFlight--; }

    // ------------------------------------------------------------------ NOP

    private void onNopPing(Pdu pdu) {
        if (pdu.word20() != RESERVED_TAG) {
            reject(pdu.bhs(), REJECT_PROTOCOL_ERROR); // a ping with a TTT must answer one of ours, with ITT 0xffffffff
            return;
        }
        OutPdu reply = OutPdu.of(ctx.alloc(), Opcode.NOP_IN, 0x80, pdu.data().retainedSlice())
                .setLong(8, pdu.lunField()).setInt(16, pdu.itt()).setInt(20, RESERVED_TAG);
        send(reply, true);
        ctx.flush();
    }

    private void onNopAnswer(Pdu pdu) {
        if (pdu.word20() == pendingNopTag) {
            pendingNopTag = RESERVED_TAG;
        }
    }

    // ------------------------------------------------------------------ text

    /** A text exchange in progress: request pieces still arriving, or response pieces still to send. */
    private static final class TextExchange {
        final int itt;
        byte[] request = new byte[0];
        byte[] response;
        int sent;
        int tag = RESERVED_TAG;

        TextExchange(int itt) {
            this.itt = itt;
        }
    }

    private void onText(Pdu pdu) {
        int flags = pdu.flags();
        boolean cont = (flags & 0x40) != 0;
        int ttt = pdu.word20();
        if (text != null && text.itt != pdu.itt()) {
            text = null; // a new exchange abandons the old one (RFC 7143 §11.10.4)
        }
        if (ttt != RESERVED_TAG) {
            if (text == null || text.response == null || ttt != text.tag) {
                reject(pdu.bhs(), REJECT_INVALID_PDU_FIELD);
                return;
            }
            sendTextPiece(pdu);
            return;
        }
        if (text == null) {
            text = new TextExchange(pdu.itt());
        }
        byte[] piece = new byte[pdu.data().readableBytes()];
        pdu.data().getBytes(pdu.data().readerIndex(), piece);
        if (text.request.length + piece.length > 65536) {
            reject(pdu.bhs(), REJECT_PROTOCOL_ERROR);
            text = null;
            return;
        }
        byte[] all = Arrays.copyOf(text.request, text.request.length + piece.length);
        System.arraycopy(piece, 0, all, text.request.length, piece.length);
        text.request = all;
        if (cont) {
            // more of the request follows: acknowledge with an empty response
            OutPdu ack = OutPdu.of(ctx.alloc(), Opcode.TEXT_RESPONSE, 0, null)
                    .setLong(8, pdu.lunField()).setInt(16, pdu.itt()).setInt(20, text.tag = newTargetTag());
            send(ack, true);
            ctx.flush();
            return;
        }
        NegotiatedSession n = session.negotiated;
        text.response = TextNegotiation.respond(text.request, server.targets(), n.type(), n.targetName(), n.initiatorName());
        text.sent = 0;
        sendTextPiece(pdu);
    }

    private void sendTextPiece(Pdu pdu) {
        int max = session.negotiated.connection().initiatorMaxRecvDataSegmentLength();
        int n = Math.min(max, text.response.length - text.sent);
        boolean more = text.sent + n < text.response.length;
        ByteBuf data = Unpooled.wrappedBuffer(text.response, text.sent, n);
        text.sent += n;
        int tag = more ? (text.tag = newTargetTag()) : RESERVED_TAG;
        OutPdu out = OutPdu.of(ctx.alloc(), Opcode.TEXT_RESPONSE, more ? 0x40 : 0x80, data)
                .setLong(8, pdu.lunField()).setInt(16, pdu.itt()).setInt(20, tag);
        if (!more) {
            text = null;
        }
        send(out, true);
        ctx.flush();
    }

    // ------------------------------------------------------------------ logout

    private void onLogout(Pdu pdu) {
        int reason = pdu.flags() & 0x7f;
        int itt = pdu.itt();
        int cid = pdu.bhs().getUnsignedShort(20);
        int response;
        if (reason == 0 || reason == 1) {
            // close the session, or close this (its only) connection
            response = reason == 1 && cid != session.negotiated.cid() ? 1 : 0;
        } else if (reason == 2) {
            response = 2; // connection recovery needs ErrorRecoveryLevel 2
        } else {
            reject(pdu.bhs(), REJECT_PROTOCOL_ERROR);
            return;
        }
        if (response != 0) {
            sendLogoutResponse(itt, response);
            return;
        }
        phase = Phase.LOGGING_OUT;
        // RFC 7143 §11.14: the response goes out once the session's tasks are finished; tasks still
        // waiting for write data will never get it, so they are dropped
        runner.abort(t -> t.state == IscsiTask.State.RECEIVING_DATA, "logout"); // held (QUEUED) tasks still run
        runner.whenIdle().whenComplete((v, e) -> runOnLoop(() -> {
            OutPdu out = logoutResponse(itt, 0);
            send(out, true);
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }));
    }

    private void sendLogoutResponse(int itt, int response) {
        send(logoutResponse(itt, response), true);
        ctx.flush();
    }

    private OutPdu logoutResponse(int itt, int response) {
        return OutPdu.of(ctx.alloc(), Opcode.LOGOUT_RESPONSE, 0x80, null)
                .setByte(2, response).setInt(16, itt)
                .setShort(40, 0).setShort(42, 0);
    }

    // ------------------------------------------------------------------ sending

    /**
     * Stamps StatSN, ExpCmdSN and MaxCmdSN (RFC 7143 §4.2.2) and writes (without flushing).
     * {@code advancesStatSN}: the PDU carries a status (responses), so the next one gets StatSN + 1.
     */
    void send(OutPdu pdu, boolean advancesStatSN) {
        // a Data-In without status has a reserved StatSN field (RFC 7143 §11.7.7): 0, as some initiators insist
        boolean reserved = pdu.opcode() == Opcode.DATA_IN && !advancesStatSN;
        pdu.setInt(24, reserved ? 0 : advancesStatSN ? statSN++ : statSN);
        pdu.setInt(28, session.expCmdSN);
        pdu.setInt(32, session.maxCmdSN());
        ctx.write(pdu, ctx.voidPromise());
    }

    /** A Reject carrying the offending header (RFC 7143 §11.17). */
    void reject(ByteBuf bhs, int reason) {
        ByteBuf copy = ctx.alloc().buffer(Pdu.BHS_LENGTH);
        copy.writeBytes(bhs, bhs.readerIndex(), Pdu.BHS_LENGTH);
        OutPdu out = OutPdu.of(ctx.alloc(), Opcode.REJECT, 0x80, copy).setByte(2, reason).setInt(16, RESERVED_TAG);
        if (session == null) {
            out.setInt(24, statSN++);
            ctx.write(out, ctx.voidPromise());
        } else {
            send(out, true);
        }
        ctx.flush();
    }

    /** Sessions of the same target, for task management that crosses sessions. */
    List<IscsiConnection> peersOnTarget() {
        List<IscsiConnection> out = new ArrayList<>();
        for (IscsiSession s : server.sessions().list()) {
            if (s.target == session.target && s.connection() != null) {
                out.add(s.connection());
            }
        }
        return out;
    }

    /** Aborts this connection's tasks matching {@code which}; completes when they have all stopped. */
    CompletableFuture<Void> abortTasks(Predicate<IscsiTask> which, String why) {
        CompletableFuture<CompletableFuture<Void>> started = new CompletableFuture<>();
        runOnLoop(() -> started.complete(runner.abort(which, why)));
        return started.thenCompose(f -> f);
    }

    void drop() {
        runOnLoop(ctx::close);
    }

    ScsiTaskRunner runner() { return runner; }

    @Override
    public String toString() {
        return "iSCSI connection " + (ctx == null ? "?" : ctx.channel().remoteAddress());
    }
}
