package io.depot.engine;

/** No snapshot with that name exists on the volume. */
public class NoSuchSnapshotException extends EngineException {
    public NoSuchSnapshotException(String message) { super(message); }
    public NoSuchSnapshotException(String message, Throwable cause) { super(message, cause); }
}
