package io.depot.iscsi.backstore;

import io.depot.engine.CompareMismatchException;
import io.depot.engine.EngineException;
import io.depot.engine.InvalidIoException;
import io.depot.engine.OutOfSpaceException;
import io.depot.engine.ReadOnlyException;
import io.depot.engine.StorageIoException;
import io.depot.iscsi.scsi.SenseReason;

/** The engine's I/O exceptions as {@link BackstoreFailure}s: the one place that knows both vocabularies. */
final class EngineErrors {
    private EngineErrors() {}

    /**
     * The failure to throw for {@code e}: a typed backstore failure for the engine's I/O refusals
     * and errors, or {@code e} itself for anything else (a bug or a vanished volume, which the
     * command layer answers as INTERNAL TARGET FAILURE).
     *
     * @param mediumError the reason for a storage I/O error in this operation: UNRECOVERED READ
     *                    ERROR when reading, WRITE ERROR when changing the medium
     */
    static RuntimeException translate(EngineException e, SenseReason mediumError) {
        return switch (e) {
            case OutOfSpaceException x -> BackstoreFailure.of(SenseReason.SPACE_ALLOCATION_FAILED_WRITE_PROTECT, x);
            case ReadOnlyException x -> BackstoreFailure.of(SenseReason.WRITE_PROTECTED, x);
            // SBC-3 §5.2: INFORMATION = offset of the first differing byte
            case CompareMismatchException x -> BackstoreFailure.miscompare(x.mismatchOffset(), x);
            case StorageIoException x -> BackstoreFailure.of(mediumError, x);
            // the volume shrank between the command layer's range check and the I/O
            case InvalidIoException x -> BackstoreFailure.of(SenseReason.LBA_OUT_OF_RANGE, x);
            default -> e;
        };
    }
}
