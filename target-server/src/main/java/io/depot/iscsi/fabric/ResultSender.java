package io.depot.iscsi.fabric;

import io.depot.iscsi.fabric.login.SessionParameters;
import io.depot.iscsi.fabric.pdu.Opcode;
import io.depot.iscsi.fabric.pdu.OutPdu;
import io.depot.iscsi.scsi.ScsiResult;
import io.netty.buffer.ByteBuf;

/**
 * Answers a finished task (RFC 7143 §11.4, §11.7): its data-in as Data-In PDUs cut to the
 * initiator's MaxRecvDataSegmentLength and to MaxBurstLength bursts, with a GOOD status collapsed
 * into the last one; otherwise, or after them, a SCSI Response with the sense data. Both carry
 * the residual against the initiator's expected length. Runs on the connection's event loop.
 */
final class ResultSender {
    private static final int OVERFLOW = 0x04;
    private static final int UNDERFLOW = 0x02;

    private final IscsiConnection conn;

    ResultSender(IscsiConnection conn) {
        this.conn = conn;
    }

    void send(IscsiTask task, ScsiResult result) {
        ByteBuf in = result.dataIn();
        int produced = in == null ? 0 : in.readableBytes();
        int toSend = task.read ? Math.min(produced, task.expectedLength) : 0;
        boolean good = result.status() == ScsiResult.GOOD && result.sense() == null;
        int residualFlags = 0;
        int residual = 0;
        int wanted = task.read ? produced : task.write ? task.wanted : 0;
        if (wanted >= 0 && (task.read || task.write)) {
            if (wanted > task.expectedLength) {
                residualFlags = OVERFLOW;
                residual = wanted - task.expectedLength;
            } else if (wanted < task.expectedLength) {
                residualFlags = UNDERFLOW;
                residual = task.expectedLength - wanted;
            }
        } else if (!task.read && !task.write && produced > 0 && task.expectedLength == 0) {
            residualFlags = OVERFLOW;
            residual = produced;
        }
        int dataSN = 0;
        if (toSend > 0) {
            dataSN = sendDataIn(task, result, in, toSend, good, residualFlags, residual);
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
                    .setInt(16, task.itt).setInt(36, task.read ? dataSN : task.r2tsSent()).setInt(44, residual);
            conn.send(response, true);
        }
        conn.ctx().flush();
    }

    /** Sends {@code toSend} bytes of data-in as slices of {@code in} (no copy); returns the DataSN count. */
    private int sendDataIn(IscsiTask task, ScsiResult result, ByteBuf in, int toSend, boolean good, int residualFlags, int residual) {
        SessionParameters params = conn.session().negotiated.session();
        int segment = conn.session().negotiated.connection().initiatorMaxRecvDataSegmentLength();
        int burst = params.maxBurstLength();
        int dataSN = 0;
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
                    .setLong(8, task.lunField).setInt(16, task.itt).setInt(20, IscsiConnection.RESERVED_TAG)
                    .setInt(36, dataSN++).setInt(40, offset);
            if (collapse) {
                pdu.setByte(3, result.status()).setInt(44, residual);
            }
            conn.send(pdu, collapse);
            offset += length;
        }
        return dataSN;
    }
}
