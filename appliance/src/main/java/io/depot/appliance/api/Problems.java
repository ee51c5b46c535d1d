package io.depot.appliance.api;

import io.depot.engine.DataCorruptionException;
import io.depot.engine.DependentClonesException;
import io.depot.engine.EngineException;
import io.depot.engine.InvalidIoException;
import io.depot.engine.NameInUseException;
import io.depot.engine.NoSuchSnapshotException;
import io.depot.engine.NoSuchVolumeException;
import io.depot.engine.OutOfSpaceException;
import io.depot.engine.ReadOnlyException;

/** Engine errors as HTTP problems: the status a client can act on, the engine's message as detail. */
final class Problems {
    private Problems() {}

    static ApiException of(EngineException e) {
        return switch (e) {
            case NoSuchVolumeException x -> new ApiException(404, "not-found", e.getMessage());
            case NoSuchSnapshotException x -> new ApiException(404, "not-found", e.getMessage());
            case NameInUseException x -> new ApiException(409, "name-in-use", e.getMessage());
            case DependentClonesException x -> new ApiException(409, "dependent-clones", e.getMessage());
            case ReadOnlyException x -> new ApiException(409, "read-only", e.getMessage());
            // RFC 4918 §11.5: 507 Insufficient Storage, "unable to store the representation"
            case OutOfSpaceException x -> new ApiException(507, "out-of-space", e.getMessage());
            case InvalidIoException x -> new ApiException(400, "bad-request", e.getMessage());
            // the stored data is damaged (a checksum mismatch): nothing to retry until it is restored or overwritten
            case DataCorruptionException x -> new ApiException(409, "damaged-data", e.getMessage());
            default -> new ApiException(500, "engine-error", e.getMessage());
        };
    }
}
