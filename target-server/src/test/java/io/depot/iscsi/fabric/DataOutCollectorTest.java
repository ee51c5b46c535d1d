package io.depot.iscsi.fabric;

import static io.depot.iscsi.fabric.DataOutCollector.Verdict.ACCEPTED;
import static io.depot.iscsi.fabric.DataOutCollector.Verdict.OUT_OF_SEQUENCE;
import static io.depot.iscsi.fabric.DataOutCollector.Verdict.PROTOCOL_ERROR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.iscsi.scsi.TaskAttribute;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The Data-Out collector alone: R2T bursts, DataSN and offset checks, unsolicited and immediate data, the buffer budget. */
class DataOutCollectorTest {
    private static final int UNSOLICITED = IscsiConnection.RESERVED_TAG;
    private static final int FIRST_BURST = 8192;

    private final WriteBufferBudget budget = new WriteBufferBudget(64L << 20);
    private final List<DataOutCollector> collectors = new ArrayList<>();

    @AfterEach
    void releaseAll() {
        collectors.forEach(DataOutCollector::release);
        assertEquals(0, budget.buffered(), "every buffer's bytes went back to the budget");
    }

    private DataOutCollector collector(int needed, int expectedLength, WriteBufferBudget budget) {
        DataOutCollector c = new DataOutCollector(needed, expectedLength, FIRST_BURST, budget, UnpooledByteBufAllocator.DEFAULT);
        collectors.add(c);
        return c;
    }

    /** {@code length} bytes counting up from {@code offset}, as the initiator's data at that offset. */
    private static ByteBuf piece(int offset, int length) {
        ByteBuf b = Unpooled.buffer(length);
        for (int i = 0; i < length; i++) {
            b.writeByte((byte) (offset + i));
        }
        return b;
    }

    private static void assertPattern(ByteBuf data, int length) {
        assertEquals(length, data.readableBytes());
        for (int i = 0; i < length; i++) {
            assertEquals((byte) i, data.getByte(data.readerIndex() + i), "byte " + i);
        }
    }

    @Test
    void allImmediateDataIsKeptAsASliceWithoutABuffer() {
        DataOutCollector c = collector(4096, 4096, budget);
        ByteBuf pdu = piece(0, 4096);
        c.start(pdu, false);
        assertTrue(c.complete());
        assertEquals(0, budget.buffered(), "no gathering buffer for a payload that came whole");
        assertPattern(c.data(), 4096);
        pdu.release();
        assertEquals(1, c.data().refCnt(), "the slice holds its own reference to the PDU's buffer");
    }

    @Test
    void r2tsSolicitEveryBurstInSequenceAndTheDataLandsAtItsOffsets() {
        int burst = 4096;
        DataOutCollector c = collector(3 * burst, 3 * burst, budget);
        c.start(Unpooled.EMPTY_BUFFER, false);          // InitialR2T=Yes: nothing unsolicited
        assertTrue(c.readyToSolicit());
        assertTrue(c.reserveBuffer());
        assertEquals(3 * burst, budget.buffered());

        // MaxOutstandingR2T=2: two bursts asked for, the third once one is done
        R2t first = c.openR2t(0x10, burst);
        assertTrue(c.wantsR2t(2));
        R2t second = c.openR2t(0x11, burst);
        assertFalse(c.wantsR2t(2));
        assertEquals(0, first.sequenceNumber);
        assertEquals(1, second.sequenceNumber);
        assertEquals(0, first.offset);
        assertEquals(burst, second.offset);

        // the second burst in two PDUs, DataSN 0 and 1, the last with F
        assertEquals(ACCEPTED, c.onDataOut(0x11, burst, 0, false, piece(burst, 2048)));
        assertEquals(ACCEPTED, c.onDataOut(0x11, burst + 2048, 1, true, piece(burst + 2048, 2048)));
        assertTrue(c.wantsR2t(2), "a closed burst frees a slot");
        assertEquals(PROTOCOL_ERROR, c.onDataOut(0x11, burst, 2, false, piece(burst, 512)), "its tag is no longer open");

        R2t third = c.openR2t(0x12, burst);
        assertEquals(2, third.sequenceNumber);
        assertEquals(2 * burst, third.offset);
        assertFalse(c.wantsR2t(2), "everything is asked for");
        assertEquals(ACCEPTED, c.onDataOut(0x10, 0, 0, true, piece(0, burst)));
        assertFalse(c.complete());
        assertEquals(ACCEPTED, c.onDataOut(0x12, 2 * burst, 0, true, piece(2 * burst, burst)));
        assertTrue(c.complete());
        assertEquals(3, c.r2tsSent());
        assertPattern(c.data(), 3 * burst);
    }

    @Test
    void solicitedDataOutsideItsBurstOrOutOfSequenceIsRefused() {
        DataOutCollector c = collector(8192, 8192, budget);
        c.start(Unpooled.EMPTY_BUFFER, false);
        c.readyToSolicit();
        c.reserveBuffer();
        R2t r = c.openR2t(7, 4096);
        assertEquals(PROTOCOL_ERROR, c.onDataOut(8, 0, 0, false, piece(0, 512)), "unknown target transfer tag");
        assertEquals(PROTOCOL_ERROR, c.onDataOut(7, 4096, 0, false, piece(4096, 512)), "past the burst");
        assertEquals(PROTOCOL_ERROR, c.onDataOut(7, 3584, 0, false, piece(3584, 1024)), "runs over the burst's end");
        assertEquals(PROTOCOL_ERROR, c.onDataOut(7, 8000, 0, false, piece(8000, 512)), "past the expected length");
        assertEquals(PROTOCOL_ERROR, c.onDataOut(7, -512, 0, false, piece(0, 512)), "negative offset");
        assertEquals(ACCEPTED, c.onDataOut(7, 0, 0, false, piece(0, 512)));
        assertEquals(OUT_OF_SEQUENCE, c.onDataOut(7, 512, 2, false, piece(512, 512)), "DataSN 1 was skipped");
        assertEquals(512, r.received);
    }

    @Test
    void immediateThenUnsolicitedDataThenR2tsForTheRest() {
        DataOutCollector c = collector(16384, 16384, budget);
        c.start(piece(0, 1024), true);                  // InitialR2T=No: unsolicited Data-Out may follow
        assertEquals(16384, budget.buffered(), "partial immediate data needs the gathering buffer");
        assertFalse(c.readyToSolicit(), "the first burst is still the initiator's");
        assertEquals(OUT_OF_SEQUENCE, c.onDataOut(UNSOLICITED, 1024, 1, false, piece(1024, 1024)), "unsolicited DataSN starts at 0");

        DataOutCollector d = collector(16384, 16384, budget);
        d.start(piece(0, 1024), true);
        assertEquals(ACCEPTED, d.onDataOut(UNSOLICITED, 1024, 0, false, piece(1024, 3072)));
        assertEquals(PROTOCOL_ERROR, d.onDataOut(UNSOLICITED, 4096, 1, true, piece(4096, FIRST_BURST)), "beyond FirstBurstLength");
        assertEquals(ACCEPTED, d.onDataOut(UNSOLICITED, 4096, 1, true, piece(4096, 4096)));
        assertEquals(PROTOCOL_ERROR, d.onDataOut(UNSOLICITED, 8192, 2, false, piece(8192, 512)), "F ended the unsolicited data");
        assertEquals(8192, d.received());

        assertTrue(d.readyToSolicit());
        assertTrue(d.reserveBuffer(), "the buffer is there already");
        R2t r = d.openR2t(1, 1 << 20);
        assertEquals(8192, r.offset, "solicited data starts where the unsolicited data ended");
        assertEquals(8192, r.length);
        assertEquals(ACCEPTED, d.onDataOut(1, 8192, 0, true, piece(8192, 8192)));
        assertTrue(d.complete());
        assertPattern(d.data(), 16384);
    }

    @Test
    void dataBeyondWhatTheCommandNeedsIsReceivedButNotKept() {
        // the CDB asks for 4 KiB, the initiator announces and sends 6 KiB: the rest is a residual
        DataOutCollector c = collector(4096, 6144, budget);
        c.start(piece(0, 2048), true);
        assertEquals(ACCEPTED, c.onDataOut(UNSOLICITED, 2048, 0, true, piece(2048, 4096)));
        assertTrue(c.complete());
        assertPattern(c.data(), 4096);
    }

    @Test
    void theBudgetHoldsBackASecondBufferUntilTheFirstIsReleased() {
        WriteBufferBudget small = new WriteBufferBudget(12288);
        DataOutCollector a = collector(8192, 8192, small);
        DataOutCollector b = collector(8192, 8192, small);
        for (DataOutCollector c : List.of(a, b)) {
            c.start(Unpooled.EMPTY_BUFFER, false);
            assertTrue(c.readyToSolicit());
        }
        assertTrue(a.reserveBuffer(), "an empty budget always admits one buffer");
        assertEquals(8192, small.buffered());
        assertFalse(b.reserveBuffer(), "8 + 8 KiB is over 12 KiB");
        assertNull(b.data(), "no buffer, so no R2T yet");

        IscsiTask waiting = new IscsiTask(1, 1, 0, 0, new byte[16], TaskAttribute.SIMPLE, false, true, 8192, false);
        small.waitForRoom(waiting);
        small.waitForRoom(waiting);
        assertNull(small.nextAdmitted(), "still no room");
        a.release();
        a.release();                                    // idempotent: refunds once
        assertEquals(0, small.buffered());
        assertSame(waiting, small.nextAdmitted());
        assertNull(small.nextAdmitted(), "queued once however often it asked");
        assertTrue(b.reserveBuffer());
        assertEquals(8192, small.buffered());
    }
}
