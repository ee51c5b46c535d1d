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
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SCSI side of one connection (RFC 7143 §11.3-11.8): turns SCSI Command PDUs into tasks,
 * gathers their write data (immediate, unsolicited, then solicited with R2T), hands complete
 * tasks to the command layer on an I/O worker, and answers with Data-In and status.
 * Runs on the connection's event loop.
 */
final class ScsiTaskRunner {
    private static final Logger log = LoggerFactory.getLogger(ScsiTaskRunner.class);
    private static final int RESERVED_TAG = IscsiConnection.RESERVED_TAG;

    /**
     * Write data a connection may hold in gathering buffers. A task that would exceed it gets its
     * R2Ts only when earlier tasks free their buffers, so a client cannot make us hold window x
     * 8 MiB of data at once; one task is always admitted so a maximal command still runs.
     */
    static final long WRITE_BUFFER_BUDGET = 64L << 20;

    private final IscsiConnection conn;
    private long bufferedBytes;
    private final java.util.ArrayDeque<IscsiTask> waitingForBuffer = new java.util.ArrayDeque<>();
    /** Tasks whose data is complete but whose task attribute makes them wait (ORDERED, or behind one). */
    private final java.util.ArrayDeque<IscsiTask> held = new java.util.ArrayDeque<>();
    private int running;
    private boolean orderedRunning;

    ScsiTaskRunner(IscsiConnection conn) {
        this.conn = conn;
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
            task.wanted = ExpectedTransfer.dataOutBytes(cdb);
        }
        if (!write || task.needed() == 0) {
            execute(task);
            return;
        }
        if (immediate > 0) {
            accept(task, 0, pdu.data());
        }
        task.unsolicitedDone = pdu.finalFlag() || params().initialR2T();
        continueReceiving(task);
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
        byte[] cdb = java.util.Arrays.copyOf(base, 16 + length - 1);
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
        int ttt = pdu.word20();
        int offset = pdu.getInt(40);
        int length = pdu.data().readableBytes();
        if (offset < 0 || (long) offset + length > task.expectedLength) {
            conn.reject(pdu.bhs(), IscsiConnection.REJECT_PROTOCOL_ERROR);
            return;
        }
        int dataSN = pdu.getInt(36);
        if (ttt == RESERVED_TAG) {
            if (task.unsolicitedDone || (long) offset + length > params().firstBurstLength()) {
                conn.reject(pdu.bhs(), IscsiConnection.REJECT_PROTOCOL_ERROR); // unsolicited data beyond FirstBurstLength
                return;
            }
            if (dataSN != task.unsolicitedDataSN++) {
                sequenceError(pdu, task, dataSN);
                return;
            }
            accept(task, offset, pdu.data());
            if (pdu.finalFlag()) {
                task.unsolicitedDone = true;
            }
        } else {
            int[] r2t = findR2T(task, ttt);
            if (r2t == null || offset < r2t[1] || offset + length > r2t[1] + r2t[2]) {
                conn.reject(pdu.bhs(), IscsiConnection.REJECT_PROTOCOL_ERROR);
                return;
            }
            if (dataSN != r2t[4]++) {
                sequenceError(pdu, task, dataSN);
                return;
            }
            accept(task, offset, pdu.data());
            r2t[3] += length;
            if (pdu.finalFlag() || r2t[3] >= r2t[2]) {
                task.r2ts.remove(r2t);
            }
        }
        continueReceiving(task);
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

    private static int[] findR2T(IscsiTask task, int ttt) {
        for (int[] r : task.r2ts) {
            if (r[0] == ttt) {
                return r;
            }
        }
        return null;
    }

    /** Copies a piece of write data into the task (or keeps the slice when it is all the data there is). */
    private void accept(IscsiTask task, int offset, ByteBuf data) {
        int length = data.readableBytes();
        if (task.dataOut == null) {
            if (offset == 0 && length == task.needed()) {
                task.dataOut = data.retainedSlice(); // the whole payload in one PDU: no copy
                task.received = length;
                return;
            }
            allocateBuffer(task);
        }
        int usable = Math.max(0, Math.min(length, task.needed() - offset));
        if (usable > 0) {
            task.dataOut.setBytes(offset, data, data.readerIndex(), usable);
        }
        task.received += length;
    }

    private void allocateBuffer(IscsiTask task) {
        task.dataOut = conn.ctx().alloc().directBuffer(task.needed(), task.needed());
        task.dataOut.writerIndex(task.needed());
        task.bufferBytes = task.needed();
        bufferedBytes += task.bufferBytes;
    }

    /** After some data arrived: run the task if it is complete, else keep R2Ts open. */
    private void continueReceiving(IscsiTask task) {
        if (task.received >= task.needed()) {
            task.r2ts.clear();
            execute(task);
            return;
        }
        if (!task.unsolicitedDone) {
            return;
        }
        if (task.nextSolicitOffset < task.received && task.r2ts.isEmpty() && task.r2tSN == 0) {
            task.nextSolicitOffset = task.received; // solicited data starts where unsolicited data ended
        }
        if (task.dataOut == null) {
            // the first R2T: the task's buffer is reserved now, within the connection's budget
            if (bufferedBytes > 0 && bufferedBytes + task.needed() > WRITE_BUFFER_BUDGET) {
                if (!waitingForBuffer.contains(task)) {
                    waitingForBuffer.add(task);
                }
                return;
            }
            allocateBuffer(task);
        }
        int maxBurst = params().maxBurstLength();
        int maxOpen = Math.max(1, params().maxOutstandingR2T());
        boolean sent = false;
        while (task.r2ts.size() < maxOpen && task.nextSolicitOffset < task.needed()) {
            int length = Math.min(maxBurst, task.needed() - task.nextSolicitOffset);
            int ttt = conn.newTargetTag();
            task.r2ts.add(new int[] {ttt, task.nextSolicitOffset, length, 0, 0});
            OutPdu r2t = OutPdu.of(conn.ctx().alloc(), Opcode.R2T, 0x80, null)
                    .setLong(8, task.lunField).setInt(16, task.itt).setInt(20, ttt)
                    .setInt(36, task.r2tSN++).setInt(40, task.nextSolicitOffset).setInt(44, length);
            conn.send(r2t, false);
            task.nextSolicitOffset += length;
            sent = true;
        }
        if (sent) {
            conn.ctx().flush();
        }
    }

    // ------------------------------------------------------------------ execution

    /**
     * Task attributes (SAM-5 §8.6): SIMPLE tasks run concurrently; an ORDERED task starts when every
     * earlier task of the session has finished, and later tasks wait for it; HEAD OF QUEUE starts at
     * once. (The task set is kept per session: ordering across initiators is what reservations and
     * COMPARE AND WRITE are for.)
     */
    private void execute(IscsiTask task) {
        boolean ordered = task.attribute == TaskAttribute.ORDERED;
        if (task.attribute != TaskAttribute.HEAD_OF_QUEUE
                && (!held.isEmpty() || orderedRunning || (ordered && running > 0))) {
            task.state = IscsiTask.State.QUEUED;
            held.add(task);
            return;
        }
        start(task);
    }

    private void start(IscsiTask task) {
        task.state = IscsiTask.State.EXECUTING;
        task.started = true;
        running++;
        if (task.attribute == TaskAttribute.ORDERED) {
            orderedRunning = true;
        }
        IscsiSession s = session();
        ByteBuf dataOut = task.dataOut;
        if (dataOut != null && dataOut.readableBytes() > task.needed()) {
            dataOut.writerIndex(dataOut.readerIndex() + task.needed());
        }
        ScsiCommand command = new ScsiCommand(task.lun, task.cdb, s.nexus, task.attribute, task.expectedLength,
                dataOut, conn.ctx().alloc());
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
            running--;
            if (task.attribute == TaskAttribute.ORDERED) {
                orderedRunning = false;
            }
            startHeld();
        }
        if (aborted || !conn.ctx().channel().isActive()) {
            if (result.dataIn() != null) {
                result.dataIn().release();
            }
        } else {
            sendResult(task, result);
        }
        task.done.complete(null);
    }

    /** Starts held tasks in order: SIMPLE ones until an ORDERED one, which waits until nothing runs. */
    private void startHeld() {
        IscsiTask next;
        while ((next = held.peek()) != null && !orderedRunning) {
            if (next.attribute == TaskAttribute.ORDERED && running > 0) {
                return;
            }
            held.poll();
            start(next);
        }
    }

    /** Removes a task from the session and gives back its window slot and buffers. */
    private void retire(IscsiTask task) {
        if (task.dataOut != null) {
            bufferedBytes -= task.bufferBytes;
            task.bufferBytes = 0;
        }
        task.releaseData();
        waitingForBuffer.remove(task);
        task.r2ts.clear();
        IscsiSession s = session();
        if (s.tasks.remove(task.itt, task)) {
            if (task.immediate) {
                conn.immediateFinished();
            } else {
                s.inFlight--;
            }
        }
        IscsiTask next;
        while ((next = waitingForBuffer.peek()) != null
                && (bufferedBytes == 0 || bufferedBytes + next.needed() <= WRITE_BUFFER_BUDGET)) {
            waitingForBuffer.poll();
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

    /** Data-In PDUs (status collapsed into the last one when it is GOOD), or a SCSI Response. */
    void sendResult(IscsiTask task, ScsiResult result) {
        ByteBuf in = result.dataIn();
        int produced = in == null ? 0 : in.readableBytes();
        int toSend = task.read ? Math.min(produced, task.expectedLength) : 0;
        boolean good = result.status() == ScsiResult.GOOD && result.sense() == null;
        int residualFlags = 0;
        int residual = 0;
        int wanted = task.read ? produced : task.write ? task.wanted : 0;
        if (wanted >= 0 && (task.read || task.write)) {
            if (wanted > task.expectedLength) {
                residualFlags = 0x04; // overflow
                residual = wanted - task.expectedLength;
            } else if (wanted < task.expectedLength) {
                residualFlags = 0x02; // underflow
                residual = task.expectedLength - wanted;
            }
        } else if (!task.read && !task.write && produced > 0 && task.expectedLength == 0) {
            residualFlags = 0x04;
            residual = produced;
        }
        int dataSN = 0;
        if (toSend > 0) {
            int segment = session().negotiated.connection().initiatorMaxRecvDataSegmentLength();
            int burst = params().maxBurstLength();
            int offset = 0;
            while (offset < toSend) {
                int length = Math.min(Math.min(segment, toSend - offset), burst - offset % burst);
                boolean last = offset + length == toSend;
                boolean burstEnd = last || (offset + length) % burst == 0;
                int flags = burstEnd ? 0x80 : 0;
                boolean collapse = last && good;
                if (collapse) {
                    flags |= 0x01 | residualFlags;
                }
                OutPdu pdu = OutPdu.of(conn.ctx().alloc(), Opcode.DATA_IN, flags, in.retainedSlice(in.readerIndex() + offset, length))
                        .setLong(8, task.lunField).setInt(16, task.itt).setInt(20, RESERVED_TAG)
                        .setInt(36, dataSN++).setInt(40, offset);
                if (collapse) {
                    pdu.setByte(3, result.status()).setInt(44, residual);
                }
                conn.send(pdu, collapse);
                offset += length;
            }
        }
        if (in != null) {
            in.release();
        }
        if (toSend == 0 || !good) {
            ByteBuf sense = null;
            byte[] s = result.sense();
            if (s != null) {
                sense = conn.ctx().alloc().buffer(2 + s.length);
                sense.writeShort(s.length).writeBytes(s);
            }
            OutPdu response = OutPdu.of(conn.ctx().alloc(), Opcode.SCSI_RESPONSE, 0x80 | residualFlags, sense)
                    .setByte(2, 0).setByte(3, result.status())
                    .setInt(16, task.itt).setInt(36, task.read ? dataSN : task.r2tSN).setInt(44, residual);
            conn.send(response, true);
        }
        conn.ctx().flush();
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
            held.remove(t);
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
