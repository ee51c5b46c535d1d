package io.depot.iscsi.backstore;

import io.depot.engine.CompareMismatchException;
import io.depot.engine.DataCorruptionException;
import io.depot.engine.EngineException;
import io.depot.engine.InvalidIoException;
import io.depot.engine.OutOfSpaceException;
import io.depot.engine.ReadOnlyException;
import io.depot.engine.StorageIoException;
import io.depot.iscsi.backstore.BackstoreFailure.Reason;

/** The engine's I/O exceptions as {@link BackstoreFailure}s: the one place that knows both vocabularies. */
final class EngineErrors {
    private EngineErrors() {}

    /**
     * The failure to throw for {@code e}: a typed backstore failure for the engine's I/O refusals
     * and errors, or {@code e} itself for anything else (a bug or a vanished volume, which the
     * command layer answers as INTERNAL TARGET FAILURE).
     */
    static RuntimeException translate(EngineException e) {
        return switch (e) {
            case OutOfSpaceException x -> BackstoreFailure.of(Reason.NO_SPACE, x);
            case ReadOnlyException x -> BackstoreFailure.of(Reason.READ_ONLY, x);
            case CompareMismatchException x -> BackstoreFailure.miscompare(x.mismatchOffset(), x);
            // before its supertype: damage names the first bad byte, which the sense data reports as an LBA
            case DataCorruptionException x -> BackstoreFailure.damagedData(x.offset(), x);
            case StorageIoException x -> BackstoreFailure.of(Reason.MEDIUM_ERROR, x);
            // the volume shrank between the command layer's range check and the I/O
            case InvalidIoException x -> BackstoreFailure.of(Reason.OUT_OF_RANGE, x);
            default -> e;
        };
    }
}
