package io.depot.iscsi.scsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Extent;
import io.depot.iscsi.backstore.BlockBackend;
import io.depot.iscsi.backstore.EngineBackend;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ModeTest extends ScsiFixture {

    static byte[] modeSense6(int dbd, int pc, int page, int allocation) {
        return cdb(0x1a, dbd, pc << 6 | page, 0, allocation, 0);
    }

    static byte[] modeSense10(int flags, int pc, int page, int allocation) {
        return cdb(0x5a, flags, pc << 6 | page, 0, 0, 0, 0, allocation >>> 8, allocation & 0xff, 0);
    }

    /** Finds a page in MODE SENSE data after the header and block descriptors. */
    static byte[] page(Reply r, boolean ten, int code) {
        int at = ten ? 8 + r.u16(6) : 4 + r.u8(3);
        while (at < r.data().length) {
            int len = r.u8(at + 1) + 2;
            if ((r.u8(at) & 0x3f) == code) {
                return Arrays.copyOfRange(r.data(), at, at + len);
            }
            at += len;
        }
        return null;
    }

    @Test
    void modeSense6ReturnsHeaderDescriptorAndAllPages() {
        Reply r = exec(modeSense6(0, 0, 0x3f, 255));
        assertGood(r);
        assertEquals(r.data().length - 1, r.u8(0), "mode data length");
        assertEquals(0x10, r.u8(2) & 0x90, "DPOFUA, not WP");
        assertEquals(8, r.u8(3));
        assertEquals(BLOCKS, r.u32(4));
        assertEquals(512, r.u32(8) & 0xffffff);
        for (int code : new int[] {0x01, 0x08, 0x0a, 0x1c}) {
            assertTrue(page(r, false, code) != null, "page " + code);
        }
        assertEquals(0x04, page(r, false, 0x08)[2] & 0x04, "WCE on by default");
        assertEquals(0, page(r, false, 0x0a)[2] & 0x04, "D_SENSE 0: fixed format");
        // DBD leaves the descriptor out; allocation length truncates
        assertEquals(0, exec(modeSense6(0x08, 0, 0x08, 255)).u8(3));
        Reply shortReply = exec(modeSense6(0, 0, 0x3f, 4));
        assertEquals(4, shortReply.data().length);
        assertEquals(r.u8(0), shortReply.u8(0), "the length field still tells the whole length");
    }

    @Test
    void modeSense10WithLongLbaDescriptor() {
        Reply r = exec(modeSense10(0x10, 0, 0x08, 512));
        assertGood(r);
        assertEquals(r.data().length - 2, r.u16(0));
        assertEquals(1, r.u8(4) & 0x01, "LONGLBA");
        assertEquals(16, r.u16(6));
        assertEquals(BLOCKS, r.u64(8));
        assertEquals(512, r.u32(20));
        assertEquals(0x08, page(r, true, 0x08)[0]);
        Reply shortDesc = exec(modeSense10(0, 0, 0x08, 512));
        assertEquals(8, shortDesc.u16(6));
    }

    @Test
    void pageControlChangeableDefaultAndSaved() {
        byte[] changeable = page(exec(modeSense6(0, 1, 0x3f, 255)), false, 0x08);
        assertEquals(0x04, changeable[2], "only WCE is changeable");
        assertEquals(0, page(exec(modeSense6(0, 1, 0x3f, 255)), false, 0x0a)[2]);
        assertEquals(0x04, page(exec(modeSense6(0, 2, 0x08, 255)), false, 0x08)[2] & 0x04);
        assertCheck(exec(modeSense6(0, 3, 0x08, 255)), SenseReason.SAVING_PARAMETERS_NOT_SUPPORTED);
        assertInvalidCdbField(exec(modeSense6(0, 0, 0x19, 255)), 2, 5);
        assertInvalidCdbField(exec(cdb(0x1a, 0, 0x08, 0x01, 255, 0)), 3, -1);     // a subpage we do not have
        assertGood(exec(cdb(0x1a, 0, 0x3f, 0xff, 255, 0)));                       // all pages and subpages
        assertInvalidCdbField(exec(cdb(0x1a, 0x10, 0x3f, 0, 255, 0)), 1, 4);       // LLBAA is not in MODE SENSE(6)
    }

    /** A decorator over the engine backend that records the FUA flag of every write and counts flushes. */
    static final class RecordingBackend implements BlockBackend {
        final BlockBackend inner;
        final List<Boolean> fuas = new java.util.concurrent.CopyOnWriteArrayList<>();
        final AtomicInteger flushes = new AtomicInteger();

        RecordingBackend(BlockBackend inner) { this.inner = inner; }

        @Override public UUID uuid() { return inner.uuid(); }
        @Override public String name() { return inner.name(); }
        @Override public long sizeBytes() { return inner.sizeBytes(); }
        @Override public boolean readOnly() { return inner.readOnly(); }
        @Override public void read(long offset, ByteBuffer dst) { inner.read(offset, dst); }
        @Override public void write(long offset, ByteBuffer src, boolean fua) {
            fuas.add(fua);
            inner.write(offset, src, fua);
        }
        @Override public void flush() {
            flushes.incrementAndGet();
            inner.flush();
        }
        @Override public void unmap(long offset, long length) { inner.unmap(offset, length); }
        @Override public void compareAndWrite(long offset, ByteBuffer expected, ByteBuffer replacement) {
            inner.compareAndWrite(offset, expected, replacement);
        }
        @Override public Extent allocationAt(long offset, long maxLength) { return inner.allocationAt(offset, maxLength); }
    }

    static byte[] cachingPageSelect(boolean wce) {
        byte[] p = new byte[4 + 20];
        p[4] = 0x08;
        p[5] = 0x12;
        p[6] = (byte) (wce ? 0x04 : 0);
        return p;
    }

    @Test
    void clearingWceMakesEveryWriteForceUnitAccessAndTellsOtherNexuses() {
        RecordingBackend rec = new RecordingBackend(EngineBackend.of(volume));
        target.mapLun(2, rec);
        target.nexusAdded(NEXUS);
        target.nexusAdded(OTHER);
        drainUnitAttentions(2, NEXUS);
        drainUnitAttentions(2, OTHER);

        assertGood(exec(2, NEXUS, rw10(0x2a, 0, 0, 1), pattern(1, 1)));
        assertEquals(List.of(false), rec.fuas);

        byte[] select = cachingPageSelect(false);
        assertGood(exec(2, NEXUS, cdb(0x15, 0x10, 0, 0, select.length, 0), select));
        assertEquals(0, page(exec(2, NEXUS, modeSense6(0, 0, 0x08, 255), null), false, 0x08)[2] & 0x04);
        assertGood(exec(2, NEXUS, rw10(0x2a, 0, 0, 1), pattern(1, 2)));
        assertEquals(List.of(false, true), rec.fuas);
        int flushes = rec.flushes.get();
        assertGood(exec(2, NEXUS, rw16(0x93, 0, 0, 4), pattern(1, 3)));
        assertTrue(rec.flushes.get() > flushes, "WRITE SAME flushed with WCE=0");

        // the other nexus learns of the change once, the changer does not
        assertEquals(List.of(SenseReason.MODE_PARAMETERS_CHANGED), drainUnitAttentions(2, OTHER));
        assertEquals(List.of(), drainUnitAttentions(2, NEXUS));

        // a LOGICAL UNIT RESET restores the default: WCE on
        target.lunReset(2, NEXUS);
        assertEquals(List.of(SenseReason.BUS_DEVICE_RESET), drainUnitAttentions(2, NEXUS)); // the requester is told too
        assertEquals(0x04, page(exec(2, NEXUS, modeSense6(0, 0, 0x08, 255), null), false, 0x08)[2] & 0x04);
    }

    @Test
    void modeSelectRefusesUnchangeableBitsSavingAndShortLists() {
        byte[] control = new byte[4 + 12];
        control[4] = 0x0a;
        control[5] = 0x0a;
        control[6] = 0x04;   // D_SENSE: not changeable (and the other fields differ from current too)
        Reply r = exec(cdb(0x15, 0x10, 0, 0, control.length, 0), control);
        assertCheck(r, SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        assertEquals(0x80, r.sense()[15] & 0xc0, "field pointer into the parameter list");
        assertEquals(6, Fields.u16(r.sense(), 16));

        byte[] select = cachingPageSelect(false);
        assertInvalidCdbField(exec(cdb(0x15, 0x11, 0, 0, select.length, 0), select), 1, 0);   // SP
        assertCheck(exec(cdb(0x15, 0x10, 0, 0, select.length, 0), Arrays.copyOf(select, 10)),
                SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        byte[] truncatedPage = Arrays.copyOf(select, 12);
        assertCheck(exec(cdb(0x15, 0x10, 0, 0, truncatedPage.length, 0), truncatedPage), SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        byte[] unknown = cachingPageSelect(true);
        unknown[4] = 0x19;
        assertCheck(exec(cdb(0x15, 0x10, 0, 0, unknown.length, 0), unknown), SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        // MODE SELECT(10) with a block descriptor of the right block length is fine
        byte[] ten = new byte[8 + 8 + 20];
        Fields.put16(ten, 6, 8);
        Fields.put32(ten, 12, 512);
        ten[16] = 0x08;
        ten[17] = 0x12;
        ten[18] = 0x04;
        assertGood(exec(cdb(0x55, 0x10, 0, 0, 0, 0, 0, 0, ten.length, 0), ten));
        Fields.put32(ten, 12, 4096);
        assertCheck(exec(cdb(0x55, 0x10, 0, 0, 0, 0, 0, 0, ten.length, 0), ten), SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        assertFalse(exec(modeSense6(0, 0, 0x08, 255)).sense() != null);
    }
}
