package io.depot.iscsi.fabric;

import io.depot.iscsi.fabric.login.SessionParameters;
import io.depot.iscsi.fabric.pdu.Opcode;
import io.depot.iscsi.fabric.pdu.OutPdu;
import io.depot.iscsi.fabric.pdu.Pdu;
import io.depot.iscsi.scsi.CommandLayer;
import io.depot.iscsi.scsi.ScsiCommand;
import io.depot.iscsi.scsi.ScsiResult;
import io.depot.iscsi.scsi.Sense;
import io.depot.iscsi.scsi.SenseReason;
import io.depot.iscsi.scsi.TaskAttribute;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SCSI side of one connection (RFC 7143 §11.3-11.8): turns SCSI Command PDUs into tasks,
 * feeds their Data-Out to each task's {@link DataOutCollector} and sends the R2Ts it asks for,
 * hands complete tasks to the command layer on an I/O worker in the order {@link TaskOrdering}
 * allows, and has {@link ResultSender} answer them. The command layer, not this class, says how
 * much Data-Out a CDB carries. Runs on the connection's event loop.
 */
final class ScsiTaskRunner {
    private static final Logger log = LoggerFactory.getLogger(ScsiTaskRunner.class);
    private static final int RESERVED_TAG = IscsiConnection.RESERVED_TAG;

    private final IscsiConnection conn;
    private final WriteBufferBudget budget = new WriteBufferBudget(WriteBufferBudget.CONNECTION_BYTES);
    private final TaskOrdering ordering = new TaskOrdering();
    private final ResultSender results;

    ScsiTaskRunner(IscsiConnection conn) {
        this.conn = conn;
        this.results = new ResultSender(conn);
    }

    private IscsiSession session() { return conn.session(); }

    private SessionParameters params() { return session().negotiated.session(); }

    // ------------------------------------------------------------------ command arrival

    void onCommand(Pdu pdu) {
        IscsiSession s = session();
        int flags = pdu.flags();
        boolean read = (flags & 0x40) != 0;
        boolean write = (flags & 0x20) != 0;
        int itt = pdu.itt();
        if (itt == RESERVED_TAG || s.tasks.containsKey(itt)) {
            conn.reject(pdu.bhs(), IscsiConnection.REJECT_INVALID_PDU_FIELD); // tags must be unique among live tasks
            return;
        }
        byte[] cdb = cdb(pdu);
        if (cdb == null) {
            conn.reject(pdu.bhs(), IscsiConnection.REJECT_INVALID_PDU_FIELD);
            return;
        }
        if (!pdu.immediate() && s.abortedBeforeArrival.remove(pdu.cmdSN())) {
            log.debug("{}: dropping CmdSN {}, aborted before it arrived", conn, pdu.cmdSN());
            return;
        }
        int edtl = pdu.word20();
        IscsiTask task = new IscsiTask(itt, pdu.cmdSN(), Lun.decode(pdu.lunField()), pdu.lunField(), cdb,
                TaskAttribute.ofIscsi(flags), read, write, edtl, pdu.immediate());
        s.tasks.put(itt, task);
        if (task.immediate) {
            conn.immediateStarted();
        } else {
            s.inFlight++;
        }
        int immediate = pdu.data().readableBytes();
        if (edtl < 0 || Integer.compareUnsigned(edtl, conn.server().settings().maxTransferLength()) > 0) {
            finish(task, Sense.check(SenseReason.INVALID_FIELD_IN_CDB)); // larger than VPD B0h allows
            return;
        }
        if (read && write) {
            finish(task, Sense.check(SenseReason.INVALID_FIELD_IN_CDB)); // bidirectional commands are not supported
            return;
        }
        if (immediate > 0 && (!write || !params().immediateData() || immediate > params().firstBurstLength() || immediate > edtl)) {
            conn.reject(pdu.bhs(), IscsiConnection.REJECT_PROTOCOL_ERROR);
            drop(task);
            return;
        }
        if (write) {
            task.wanted = residualBase(s.target.commandLayer().dataOutLength(cdb));
        }
        if (!write || task.needed() == 0) {
            execute(task);
            return;
        }
        task.dataOut = new DataOutCollector(task.needed(), edtl, params().firstBurstLength(), budget, conn.ctx().alloc());
        task.dataOut.start(pdu.data(), !pdu.finalFlag() && !params().initialR2T());
        continueReceiving(task);
    }

    /** The command layer's Data-Out length as the 32-bit count residuals are computed in (-1: it does not say). */
    private static int residualBase(long dataOutLength) {
        return dataOutLength < 0 ? -1 : (int) Math.min(dataOutLength, Integer.MAX_VALUE);
    }

    /** The CDB: the 16 bytes of the BHS plus an extended CDB AHS (type 1) if present. */
    private static byte[] cdb(Pdu pdu) {
        ByteBuf ahs = pdu.ahs();
        byte[] base = new byte[16];
        pdu.bhs().getBytes(32, base);
        if (!ahs.isReadable()) {
            return base;
        }
        int length = ahs.getUnsignedShort(0);
        int type = ahs.getUnsignedByte(2);
        if (type != 1 || length < 1 || 3 + length > ahs.readableBytes()) {
            return null;
        }
        byte[] cdb = Arrays.copyOf(base, 16 + length - 1);
        ahs.getBytes(4, cdb, 16, length - 1);
        return cdb;
    }

    void onDataOut(Pdu pdu) {
        IscsiTask task = session().tasks.get(pdu.itt());
        if (task == null || task.state != IscsiTask.State.RECEIVING_DATA) {
            // data for a task that was aborted or already answered: nothing to do (RFC 7143 §4.2.3.3)
            log.debug("{}: Data-Out for no waiting task (itt 0x{})", conn, Integer.toHexString(pdu.itt()));
            return;
        }
        int dataSN = pdu.getInt(36);
        switch (task.dataOut.onDataOut(pdu.word20(), pdu.getInt(40), dataSN, pdu.finalFlag(), pdu.data())) {
            case ACCEPTED -> continueReceiving(task);
            case PROTOCOL_ERROR -> conn.reject(pdu.bhs(), IscsiConnection.REJECT_PROTOCOL_ERROR);
            case OUT_OF_SEQUENCE -> sequenceError(pdu, task, dataSN);
        }
    }

    /**
     * A Data-Out out of sequence (RFC 7143 §11.7.5: DataSN counts from 0 within each sequence).
     * Error recovery level 0 cannot ask for the missing PDU, so the PDU is rejected, which fails
     * the command at the initiator, and the task is dropped without a status.
     */
    private void sequenceError(Pdu pdu, IscsiTask task, int dataSN) {
        log.warn("{}: Data-Out with DataSN {} out of sequence for {}; rejecting it and dropping the task", conn, dataSN, task);
        conn.reject(pdu.bhs(), IscsiConnection.REJECT_PROTOCOL_ERROR);
        drop(task);
    }

    /** After some data arrived: run the task if it is complete, else keep R2Ts open. */
    private void continueReceiving(IscsiTask task) {
        DataOutCollector collector = task.dataOut;
        if (collector.complete()) {
            execute(task);
            return;
        }
        if (!collector.readyToSolicit()) {
            return;
        }
        if (!collector.reserveBuffer()) {
            budget.waitForRoom(task); // solicited once earlier tasks give their buffers back
            return;
        }
        int maxBurst = params().maxBurstLength();
        int maxOutstanding = params().maxOutstandingR2T();
        boolean sent = false;
        while (collector.wantsR2t(maxOutstanding)) {
            R2t r2t = collector.openR2t(conn.newTargetTag(), maxBurst);
            OutPdu pdu = OutPdu.of(conn.ctx().alloc(), Opcode.R2T, 0x80, null)
                    .setLong(8, task.lunField).setInt(16, task.itt).setInt(20, r2t.targetTransferTag)
                    .setInt(36, r2t.sequenceNumber).setInt(40, r2t.offset).setInt(44, r2t.length);
            conn.send(pdu, false);
            sent = true;
        }
        if (sent) {
            conn.ctx().flush();
        }
    }

    // ------------------------------------------------------------------ execution

    private void execute(IscsiTask task) {
        if (ordering.admit(task)) {
            start(task);
        } else {
            task.state = IscsiTask.State.QUEUED;
        }
    }

    private void start(IscsiTask task) {
        task.state = IscsiTask.State.EXECUTING;
        task.started = true;
        ordering.started(task);
        IscsiSession s = session();
        ScsiCommand command = new ScsiCommand(task.lun, task.cdb, s.nexus, task.attribute, task.expectedLength,
                task.data(), conn.ctx().alloc());
        CommandLayer layer = s.target.commandLayer();
        conn.server().workers().execute(() -> {
            ScsiResult result;
            try {
                result = layer.execute(command);
            } catch (Throwable t) {
                log.error("{}: {} failed inside the command layer", conn, task, t);
                result = Sense.check(SenseReason.INTERNAL_TARGET_FAILURE);
            }
            ScsiResult r = result;
            conn.runOnLoop(() -> finish(task, r));
        });
    }

    /** A task's result is in (or it failed before running): answer it unless it was aborted. */
    private void finish(IscsiTask task, ScsiResult result) {
        boolean aborted = task.state == IscsiTask.State.ABORTED;
        task.state = IscsiTask.State.DONE;
        if (!aborted) {
            conn.server().commandObserver(task.cdb[0]).completed(System.nanoTime() - task.arrivedNanos,
                    result.status() == ScsiResult.GOOD && result.sense() == null);
        }
        retire(task);
        if (task.started) {
            ordering.finished(task);
            startHeld();
        }
        if (aborted || !conn.ctx().channel().isActive()) {
            if (result.dataIn() != null) {
                result.dataIn().release();
            }
        } else {
            results.send(task, result);
        }
        task.done.complete(null);
    }

    private void startHeld() {
        IscsiTask next;
        while ((next = ordering.nextToStart()) != null) {
            start(next);
        }
    }

    /** Removes a task from the session and gives back its window slot and buffers. */
    private void retire(IscsiTask task) {
        task.releaseData();
        budget.forget(task);
        IscsiSession s = session();
        if (s.tasks.remove(task.itt, task)) {
            if (task.immediate) {
                conn.immediateFinished();
            } else {
                s.inFlight--;
            }
        }
        IscsiTask next;
        while ((next = budget.nextAdmitted()) != null) {
            if (next.state == IscsiTask.State.RECEIVING_DATA) {
                continueReceiving(next);
            }
        }
    }

    private void drop(IscsiTask task) {
        task.state = IscsiTask.State.DONE;
        retire(task);
        task.done.complete(null);
    }

    // ------------------------------------------------------------------ aborts

    /**
     * Aborts matching tasks: those still gathering data stop at once; running ones finish in the
     * command layer but their status is never sent. Completes when all have stopped.
     */
    CompletableFuture<Void> abort(Predicate<IscsiTask> which, String why) {
        IscsiSession s = session();
        if (s == null) {
            return CompletableFuture.completedFuture(null);
        }
        List<CompletableFuture<Void>> running = new ArrayList<>();
        List<IscsiTask> gathering = new ArrayList<>();
        for (IscsiTask t : s.tasks.values()) {
            if (!which.test(t)) {
                continue;
            }
            if (t.state == IscsiTask.State.RECEIVING_DATA || t.state == IscsiTask.State.QUEUED) {
                gathering.add(t);
            } else if (t.state == IscsiTask.State.EXECUTING) {
                t.state = IscsiTask.State.ABORTED;
                running.add(t.done);
            } else if (t.state == IscsiTask.State.ABORTED) {
                running.add(t.done);
            }
        }
        for (IscsiTask t : gathering) {
            ordering.remove(t);
            drop(t);
        }
        if (!gathering.isEmpty()) {
            startHeld(); // a dropped ORDERED task may have been holding others back
        }
        if (!gathering.isEmpty() || !running.isEmpty()) {
            log.info("{}: aborted {} task(s): {}", conn, gathering.size() + running.size(), why);
        }
        return CompletableFuture.allOf(running.toArray(CompletableFuture[]::new));
    }

    void abortAll(String why) {
        abort(t -> true, why);
    }

    /** Completes once every task of the session has finished. */
    CompletableFuture<Void> whenIdle() {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (Iterator<IscsiTask> it = session().tasks.values().iterator(); it.hasNext(); ) {
            all.add(it.next().done);
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    IscsiTask task(int itt) {
        return session().tasks.get(itt);
    }
}
