package io.depot.iscsi.scsi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.depot.engine.Extent;
import io.depot.engine.StorageIoException;
import io.depot.iscsi.backstore.BackstoreFailure;
import io.depot.iscsi.backstore.BlockBackend;
import io.depot.iscsi.backstore.EngineBackend;
import java.nio.ByteBuffer;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Backstore failures as sense data on the wire: the reason the backstore chose, except that a
 * medium error follows the command (WRITE ERROR for a command that writes, UNRECOVERED READ ERROR
 * otherwise), as it always has.
 */
class BackstoreFailureSenseTest extends ScsiFixture {
    private static final long LUN = 3;

    /** The test volume, whose every call fails with a medium error of that call. */
    private final class FailingDisk implements BlockBackend {
        private final BlockBackend real = EngineBackend.of(volume);
        private final UUID uuid = UUID.randomUUID();

        private BackstoreFailure failed() {
            return BackstoreFailure.of(BackstoreFailure.Reason.MEDIUM_ERROR, new StorageIoException("simulated disk error"));
        }

        @Override public UUID uuid() { return uuid; }
        @Override public String name() { return "failing"; }
        @Override public long sizeBytes() { return real.sizeBytes(); }
        @Override public boolean readOnly() { return false; }
        @Override public void read(long offset, ByteBuffer dst) { throw failed(); }
        @Override public void write(long offset, ByteBuffer src, boolean fua) { throw failed(); }
        @Override public void flush() { throw failed(); }
        @Override public void unmap(long offset, long length) { throw failed(); }
        @Override public void compareAndWrite(long offset, ByteBuffer expected, ByteBuffer replacement) {
            throw failed();
        }
        @Override public Extent allocationAt(long offset, long maxLength) { throw failed(); }
    }

    @BeforeEach
    void mapFailingDisk() {
        target.mapLun(LUN, new FailingDisk());
        drainUnitAttentions(LUN, NEXUS);
    }

    private Reply run(byte[] cdb, byte[] dataOut) { return exec(LUN, NEXUS, cdb, dataOut); }

    @Test
    void readsReportUnrecoveredReadError() {
        assertCheck(run(rw10(0x28, 0, 0, 8), null), SenseReason.UNRECOVERED_READ_ERROR);
        assertCheck(run(rw16(0x9e, 0x12, 0, 32), null), SenseReason.UNRECOVERED_READ_ERROR);   // GET LBA STATUS
    }

    @Test
    void writesReportWriteErrorEvenWhenTheirReadFailed() {
        assertCheck(run(rw10(0x2a, 0, 0, 1), pattern(1, 1)), SenseReason.WRITE_ERROR);
        assertCheck(run(rw16(0x8b, 0, 0, 1), pattern(1, 1)), SenseReason.WRITE_ERROR);         // ORWRITE reads first
    }

    @Test
    void synchronizeCacheReportsAsACommandThatDoesNotWrite() {
        // SYNCHRONIZE CACHE is not a writing command in the table: its flush failure answered as
        // UNRECOVERED READ ERROR before backend errors were typed, and still does
        assertCheck(run(rw10(0x35, 0, 0, 0), null), SenseReason.UNRECOVERED_READ_ERROR);
    }

    @Test
    void aMiscompareFromTheBackendCarriesItsOffset() {
        byte[] data = new byte[1024];                // one block to compare, one to write
        data[7] = 1;                                 // the volume holds zeros: the first difference is byte 7
        Reply r = exec(cdb(0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0), data);
        assertCheck(r, SenseReason.MISCOMPARE_DURING_VERIFY);
        assertEquals(0x80, r.sense()[0] & 0x80, "INFORMATION valid");
        assertEquals(7, Fields.u32(r.sense(), 3), "offset of the first differing byte");
    }
}
