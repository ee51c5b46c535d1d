package io.depot.iscsi.backstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.CompareMismatchException;
import io.depot.engine.EngineException;
import io.depot.engine.InvalidIoException;
import io.depot.engine.NoSuchVolumeException;
import io.depot.engine.OutOfSpaceException;
import io.depot.engine.ReadOnlyException;
import io.depot.engine.StorageIoException;
import io.depot.iscsi.scsi.SenseReason;
import org.junit.jupiter.api.Test;

/** Each engine I/O exception becomes the one backstore failure with the reason the command layer answers. */
class EngineErrorsTest {

    private static BackstoreFailure translated(EngineException e, SenseReason mediumError) {
        BackstoreFailure f = assertInstanceOf(BackstoreFailure.class, EngineErrors.translate(e, mediumError));
        assertSame(e, f.getCause(), "the engine's exception stays the cause, for the logs");
        return f;
    }

    @Test
    void refusalsAndErrorsHaveTheirReasons() {
        assertEquals(SenseReason.SPACE_ALLOCATION_FAILED_WRITE_PROTECT,
                translated(new OutOfSpaceException("full"), SenseReason.WRITE_ERROR).reason());
        assertEquals(SenseReason.WRITE_PROTECTED, translated(new ReadOnlyException("ro"), SenseReason.WRITE_ERROR).reason());
        assertEquals(SenseReason.LBA_OUT_OF_RANGE, translated(new InvalidIoException("shrunk"), SenseReason.WRITE_ERROR).reason());
        assertFalse(translated(new OutOfSpaceException("full"), SenseReason.WRITE_ERROR).hasInformation());
    }

    @Test
    void aStorageErrorIsAMediumErrorOfTheOperation() {
        BackstoreFailure read = translated(new StorageIoException("eio"), SenseReason.UNRECOVERED_READ_ERROR);
        assertEquals(SenseReason.UNRECOVERED_READ_ERROR, read.reason());
        assertTrue(read.isMediumError());
        assertEquals(SenseReason.WRITE_ERROR, translated(new StorageIoException("eio"), SenseReason.WRITE_ERROR).reason());
    }

    @Test
    void aMiscompareCarriesTheOffsetOfTheFirstDifference() {
        BackstoreFailure f = translated(new CompareMismatchException(1234), SenseReason.WRITE_ERROR);
        assertEquals(SenseReason.MISCOMPARE_DURING_VERIFY, f.reason());
        assertTrue(f.hasInformation());
        assertEquals(1234, f.information());
        assertFalse(f.isMediumError());
    }

    @Test
    void otherEngineExceptionsPassThroughAsBugs() {
        NoSuchVolumeException gone = new NoSuchVolumeException("deleted");
        assertSame(gone, EngineErrors.translate(gone, SenseReason.WRITE_ERROR));
    }
}
