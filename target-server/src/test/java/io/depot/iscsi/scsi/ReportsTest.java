package io.depot.iscsi.scsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.iscsi.backstore.EngineBackend;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ReportsTest extends ScsiFixture {

    static byte[] rsoc(int rctdAndOptions, int opcode, int serviceAction, int allocation) {
        byte[] c = cdb(0xa3, 0x0c, rctdAndOptions, opcode, 0, 0, 0, 0, 0, 0, 0, 0);
        Fields.put16(c, 4, serviceAction);
        Fields.put32(c, 6, allocation);
        return c;
    }

    @Test
    void reportSupportedOpcodesListsEveryCommandAndEachAnswersOneCommandQueries() {
        Reply all = exec(rsoc(0, 0, 0, 65535));
        assertGood(all);
        assertEquals(all.data().length - 4, all.u32(0));
        Set<Integer> opcodes = new HashSet<>();
        for (int at = 4; at < all.data().length; at += 8) {
            int op = all.u8(at);
            int sa = all.u16(at + 2);
            boolean servactv = (all.u8(at + 5) & 0x01) != 0;
            opcodes.add(op);
            Reply one = exec(rsoc(servactv ? 2 : 1, op, sa, 65535));
            assertGood(one);
            assertEquals(0x03, one.u8(1) & 0x07, "supported");
            assertEquals(all.u16(at + 6), one.u16(2), "CDB size");
            assertEquals(op, one.u8(4), "usage data starts with the opcode");
            // the other form is refused
            assertInvalidCdbField(exec(rsoc(servactv ? 1 : 2, op, sa, 65535)), 3, -1);
        }
        for (int op : new int[] {0x00, 0x03, 0x12, 0x1a, 0x25, 0x28, 0x2a, 0x35, 0x41, 0x42, 0x5e, 0x5f, 0x88, 0x89, 0x8a, 0x93, 0x9e, 0xa0, 0xa3}) {
            assertTrue(opcodes.contains(op), "opcode " + Integer.toHexString(op));
        }
        assertTrue(!opcodes.contains(0x83), "no EXTENDED COPY without copy offload");
        // READ(10) usage data admits DPO and FUA (libiscsi matches it against the DPOFUA mode bit)
        assertEquals(0x18, exec(rsoc(1, 0x28, 0, 64)).u8(5) & 0x18);
        // an unsupported opcode: SUPPORT 001b, GOOD
        Reply none = exec(rsoc(1, 0xc5, 0, 64));
        assertGood(none);
        assertEquals(0x01, none.u8(1) & 0x07);
        assertInvalidCdbField(exec(rsoc(7, 0, 0, 64)), 2, 2);
    }

    @Test
    void timeoutDescriptorsWithRctd() {
        Reply all = exec(rsoc(0x80, 0, 0, 65535));
        assertGood(all);
        assertEquals(0x02, all.u8(4 + 5) & 0x02, "CTDP");
        assertEquals(0x0a, all.u16(4 + 8), "timeouts descriptor length");
        assertEquals(0, (all.data().length - 4) % 20);
        Reply one = exec(rsoc(0x81, 0x28, 0, 64));
        assertEquals(0x80, one.u8(1) & 0x80);
        assertEquals(4 + 10 + 12, one.data().length);
    }

    @Test
    void reportTaskManagementFunctionsAndTargetPortGroups() {
        Reply tmf = exec(cdb(0xa3, 0x0d, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0));
        assertGood(tmf);
        assertEquals(0xda, tmf.u8(0));
        assertEquals(16, exec(cdb(0xa3, 0x0d, 0x80, 0, 0, 0, 0, 0, 0, 16, 0, 0)).data().length);

        Reply tpg = exec(cdb(0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0));
        assertGood(tpg);
        assertEquals(tpg.data().length - 4, tpg.u32(0));
        assertEquals(0x80, tpg.u8(4), "PREF, active/optimized");
        assertEquals(NEXUS.portalGroupTag(), tpg.u16(6));
        assertEquals(1, tpg.u8(11), "one port");
        assertEquals(NEXUS.relativePortId(), tpg.u16(14));
        Reply extended = exec(cdb(0xa3, 0x2a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0));
        assertEquals(0x10, extended.u8(4) & 0x70);
    }

    @Test
    void reportLunsSelectReport() {
        target.mapLun(300, EngineBackend.of(pool.createVolume("far", 1 << 20)));
        Reply all = exec(cdb(0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0));
        assertEquals(16, all.u32(0));
        assertEquals(0, all.u16(8));
        assertEquals(0x4000 | 300, all.u16(16), "flat space addressing above 255");
        assertEquals(0, exec(cdb(0xa0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0)).u32(0), "no well-known LUs");
        assertEquals(16, exec(cdb(0xa0, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0)).u32(0));
        assertInvalidCdbField(exec(cdb(0xa0, 0, 3, 0, 0, 0, 0, 0, 1, 0, 0, 0)), 2, -1);
    }

    @Test
    void reservationAndCopyCommandsAreRoutedToTheirHooks() {
        TestReservations r = reservations.values().iterator().next();
        assertGood(exec(cdb(0x16, 0, 0, 0, 0, 0)));
        assertEquals(1, r.reserveCalls.get());
        assertGood(exec(cdb(0x5e, 0x00, 0, 0, 0, 0, 0, 0, 8, 0)));
        assertEquals(1, r.prInCalls.get());
        assertInvalidCdbField(exec(cdb(0x5e, 0x04, 0, 0, 0, 0, 0, 0, 8, 0)), 1, 4);       // no such PR IN action
        assertCheck(exec(cdb(0x83, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), SenseReason.INVALID_OPCODE);

        AtomicInteger copies = new AtomicInteger();
        target = newTarget(new CopyOffload() {
            @Override public ScsiResult extendedCopy(ScsiCommand command) {
                copies.incrementAndGet();
                return ScsiResult.OK;
            }
            @Override public ScsiResult receiveCopyResults(ScsiCommand command) {
                copies.addAndGet(10);
                return ScsiResult.OK;
            }
        });
        target.mapLun(0, EngineBackend.of(volume));
        assertGood(exec(cdb(0x83, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)));
        assertGood(exec(cdb(0x84, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0)));
        assertEquals(11, copies.get());
        Reply listed = exec(rsoc(2, 0x83, 0, 64));
        assertEquals(0x03, listed.u8(1) & 0x07);
    }

    /** READ DEFECT DATA(10/12): both lists valid and empty, in the format asked for. */
    @Test
    void readDefectDataReportsEmptyLists() {
        Reply ten = exec(cdb(0x37, 0, 0x18 | 0x05, 0, 0, 0, 0, 0, 32, 0));
        assertGood(ten);
        assertArrayEquals(new byte[] {0, 0x1d, 0, 0}, ten.data(), "PLISTV GLISTV, physical sector format, length 0");
        Reply none = exec(cdb(0x37, 0, 0, 0, 0, 0, 0, 0, 32, 0));
        assertArrayEquals(new byte[4], none.data());
        Reply twelve = exec(cdb(0xb7, 0x08 | 0x03, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0));
        assertGood(twelve);
        assertArrayEquals(new byte[] {0, 0x0b, 0, 0, 0, 0, 0, 0}, twelve.data(), "GLISTV, long block format, length 0");
        assertEquals(2, exec(cdb(0x37, 0, 0x08, 0, 0, 0, 0, 0, 2, 0)).data().length, "allocation length truncates");
        assertInvalidCdbField(exec(cdb(0x37, 0, 0x07, 0, 0, 0, 0, 0, 32, 0)), 2, 2);   // format 111b reserved
        assertInvalidCdbField(exec(cdb(0x37, 0, 0x20, 0, 0, 0, 0, 0, 32, 0)), 2, 5);   // reserved bit
    }

    @Test
    void startStopAndPreventAllowOnAFixedMedium() {
        assertGood(exec(cdb(0x1b, 1, 0, 0, 0x01, 0)));
        assertGood(exec(cdb(0x1b, 0, 0, 0, 0x30, 0)));                 // a power condition
        assertInvalidCdbField(exec(cdb(0x1b, 1, 0, 0, 0x02, 0)), 4, 1); // LOEJ: nothing to eject
        assertGood(exec(cdb(0x1e, 0, 0, 0, 1, 0)));
        assertGood(exec(cdb(0x1e, 0, 0, 0, 0, 0)));
        assertInvalidCdbField(exec(cdb(0x1e, 0, 0, 0, 2, 0)), 4, 1);
        assertInvalidCdbField(exec(cdb(0x00, 0, 0, 0, 0x01, 0)), 4, 0);  // reserved bit in TEST UNIT READY
    }
}
