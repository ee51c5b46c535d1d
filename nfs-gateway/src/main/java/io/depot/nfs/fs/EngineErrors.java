package io.depot.nfs.fs;

import io.depot.engine.EngineException;
import io.depot.engine.NoSuchVolumeException;
import io.depot.engine.OutOfSpaceException;
import io.depot.engine.ReadOnlyException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Engine failures in file-system terms. */
final class EngineErrors {
    private static final Logger log = LoggerFactory.getLogger(EngineErrors.class);

    private EngineErrors() {}

    static FsException translate(EngineException e) {
        if (e instanceof OutOfSpaceException) {
            return new FsException.NoSpace(e.getMessage(), e);
        }
        if (e instanceof NoSuchVolumeException) {
            return new FsException.Stale(e.getMessage(), e);
        }
        if (e instanceof ReadOnlyException) {
            return new FsException.ReadOnly(e.getMessage(), e);
        }
        log.warn("engine error under NFS: {}", e.toString());
        return new FsException.IoError(e.getMessage(), e);
    }
}
