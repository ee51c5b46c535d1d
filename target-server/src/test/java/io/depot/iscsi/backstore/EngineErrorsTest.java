package io.depot.iscsi.backstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.CompareMismatchException;
import io.depot.engine.DataCorruptionException;
import io.depot.engine.EngineException;
import io.depot.engine.InvalidIoException;
import io.depot.engine.NoSuchVolumeException;
import io.depot.engine.OutOfSpaceException;
import io.depot.engine.ReadOnlyException;
import io.depot.engine.StorageIoException;
import io.depot.iscsi.backstore.BackstoreFailure.Reason;
import org.junit.jupiter.api.Test;

/** Each engine I/O exception becomes the one backstore failure with the reason the command layer answers. */
class EngineErrorsTest {

    private static BackstoreFailure translated(EngineException e) {
        BackstoreFailure f = assertInstanceOf(BackstoreFailure.class, EngineErrors.translate(e));
        assertSame(e, f.getCause(), "the engine's exception stays the cause, for the logs");
        return f;
    }

    @Test
    void refusalsAndErrorsHaveTheirReasons() {
        assertEquals(Reason.NO_SPACE, translated(new OutOfSpaceException("full")).reason());
        assertEquals(Reason.READ_ONLY, translated(new ReadOnlyException("ro")).reason());
        assertEquals(Reason.OUT_OF_RANGE, translated(new InvalidIoException("shrunk")).reason());
        assertFalse(translated(new OutOfSpaceException("full")).hasInformation());
    }

    @Test
    void aStorageErrorIsAMediumError() {
        // which medium error (read or write) the initiator hears is the command layer's choice: SenseReason.ofBackstore
        assertEquals(Reason.MEDIUM_ERROR, translated(new StorageIoException("eio")).reason());
    }

    @Test
    void aMiscompareCarriesTheOffsetOfTheFirstDifference() {
        BackstoreFailure f = translated(new CompareMismatchException(1234));
        assertEquals(Reason.MISCOMPARE, f.reason());
        assertTrue(f.hasInformation());
        assertEquals(1234, f.information());
    }

    @Test
    void damagedDataCarriesTheFirstBadByteNotAPlainMediumError() {
        // a checksum mismatch is a StorageIoException too: it must not fall into the generic medium error
        BackstoreFailure f = translated(new DataCorruptionException("vm1", null, 3 * 4096 + 1024));
        assertEquals(Reason.DAMAGED_DATA, f.reason());
        assertTrue(f.hasInformation());
        assertEquals(3 * 4096 + 1024, f.information());
        assertEquals(Reason.DAMAGED_DATA, translated(new DataCorruptionException("vm1", "daily", 0)).reason());
    }

    @Test
    void otherEngineExceptionsPassThroughAsBugs() {
        NoSuchVolumeException gone = new NoSuchVolumeException("deleted");
        assertSame(gone, EngineErrors.translate(gone));
    }
}
