package io.depot.iscsi.scsi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.depot.engine.DataCorruptionException;
import io.depot.engine.Extent;
import io.depot.iscsi.backstore.BackstoreFailure;
import io.depot.iscsi.backstore.BlockBackend;
import io.depot.iscsi.backstore.EngineBackend;
import java.nio.ByteBuffer;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Damaged data (a block that failed its checksum) as sense data: whatever command read it, the
 * initiator hears MEDIUM ERROR / UNRECOVERED READ ERROR with VALID set and the first bad LBA in
 * INFORMATION (SBC-3 §4.18.1), and the LU keeps serving every other block. The backend here fails
 * the way the engine does (no core needed): a read overlapping the damaged 4 KiB block fails at
 * the first damaged byte inside the request.
 */
class DamagedDataSenseTest extends ScsiFixture {
    private static final long LUN = 5;
    /** The damaged 4 KiB block: LBAs 24..31. */
    private static final long DAMAGED_BYTE = 3 * 4096;
    private static final long DAMAGED_LBA = DAMAGED_BYTE / 512;

    /** The test volume with one damaged block; everything else is the real volume. */
    private final class DamagedDisk implements BlockBackend {
        private final BlockBackend real = EngineBackend.of(volume);
        private final UUID uuid = UUID.randomUUID();

        private void check(long offset, long length) {
            long end = offset + length;
            if (offset < DAMAGED_BYTE + 4096 && end > DAMAGED_BYTE) {
                long first = Math.max(offset, DAMAGED_BYTE);
                throw BackstoreFailure.damagedData(first, new DataCorruptionException("vol", null, first));
            }
        }

        @Override public UUID uuid() { return uuid; }
        @Override public String name() { return "damaged"; }
        @Override public long sizeBytes() { return real.sizeBytes(); }
        @Override public boolean readOnly() { return false; }
        @Override public void read(long offset, ByteBuffer dst) {
            check(offset, dst.remaining());
            real.read(offset, dst);
        }
        @Override public void write(long offset, ByteBuffer src, boolean fua) { real.write(offset, src, fua); }
        @Override public void flush() { real.flush(); }
        @Override public void unmap(long offset, long length) { real.unmap(offset, length); }
        @Override public void compareAndWrite(long offset, ByteBuffer expected, ByteBuffer replacement) {
            check(offset, expected.remaining());   // the engine reads before it compares
            real.compareAndWrite(offset, expected, replacement);
        }
        @Override public Extent allocationAt(long offset, long maxLength) { return real.allocationAt(offset, maxLength); }
    }

    @BeforeEach
    void mapDamagedDisk() {
        target.mapLun(LUN, new DamagedDisk());
        drainUnitAttentions(LUN, NEXUS);
    }

    private Reply run(byte[] cdb, byte[] dataOut) { return exec(LUN, NEXUS, cdb, dataOut); }

    /** UNRECOVERED READ ERROR, fixed format, VALID, INFORMATION = {@code lba}. */
    private static void assertUnreadable(Reply r, long lba) {
        assertCheck(r, SenseReason.UNRECOVERED_READ_ERROR);
        assertEquals(0x70, r.sense()[0] & 0x7f, "fixed format, current error");
        assertEquals(0x80, r.sense()[0] & 0x80, "VALID: INFORMATION holds the LBA");
        assertEquals(lba, Fields.u32(r.sense(), 3), "first bad LBA");
    }

    @Test
    void everyReadCdbReportsTheFirstBadLba() {
        assertUnreadable(run(cdb(0x08, 0, 0, 20, 16, 0), null), DAMAGED_LBA);           // READ(6) of 20..35
        assertUnreadable(run(rw10(0x28, 0, 20, 16), null), DAMAGED_LBA);
        assertUnreadable(run(rw12(0xa8, 0, 20, 16), null), DAMAGED_LBA);
        assertUnreadable(run(rw16(0x88, 0, 20, 16), null), DAMAGED_LBA);
        // a read starting inside the block names its own first LBA, the first damaged one it asked for
        assertUnreadable(run(rw16(0x88, 0, DAMAGED_LBA + 3, 2), null), DAMAGED_LBA + 3);
    }

    @Test
    void compareAndWriteAndOrwriteReportAReadErrorNotAWriteError() {
        byte[] caw = new byte[2 * 512];   // compare one block with zeros, write one
        assertUnreadable(run(cdb(0x89, 0, 0, 0, 0, 0, 0, 0, 0, (int) DAMAGED_LBA + 1, 0, 0, 0, 1, 0, 0), caw), DAMAGED_LBA + 1);
        assertUnreadable(run(rw16(0x8b, 0, DAMAGED_LBA, 1), pattern(1, 3)), DAMAGED_LBA);   // ORWRITE reads first
    }

    @Test
    void verifyWithoutByteCheckReadsTheMedium() {
        assertUnreadable(run(rw10(0x2f, 0, 0, 64), null), DAMAGED_LBA);                 // BYTCHK 00b
        assertGood(run(rw10(0x2f, 0, 64, 64), null));                                   // undamaged range verifies
        assertUnreadable(run(rw16(0x8f, 0x02, 16, 16), new byte[16 * 512]), DAMAGED_LBA);   // BYTCHK 01b
    }

    @Test
    void theLogicalUnitKeepsServingOtherBlocks() {
        byte[] data = pattern(8, 9);
        assertGood(run(rw16(0x8a, 0, 64, 8), data));
        assertUnreadable(run(rw16(0x88, 0, DAMAGED_LBA, 8), null), DAMAGED_LBA);
        Reply r = run(rw16(0x88, 0, 64, 8), null);
        assertGood(r);
        assertBytes(data, r.data());
        assertGood(run(rw16(0x88, 0, 0, 24), null));                                    // right up to the damage
    }

    @Test
    void anLbaPastFourBytesIsNotReportedInFixedFormat() {
        // fixed sense has 4 INFORMATION bytes: a larger LBA clears VALID rather than reporting a truncated one
        byte[] sense = Sense.withInformation(SenseReason.UNRECOVERED_READ_ERROR, 1L << 32);
        assertEquals(0, sense[0] & 0x80, "VALID clear");
        assertEquals(0, Fields.u32(sense, 3));
        byte[] fits = Sense.withInformation(SenseReason.UNRECOVERED_READ_ERROR, 0xffff_fffeL);
        assertEquals(0x80, fits[0] & 0x80);
        assertEquals(0xffff_fffeL, Fields.u32(fits, 3));
    }
}
