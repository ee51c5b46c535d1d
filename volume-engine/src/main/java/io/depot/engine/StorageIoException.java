package io.depot.engine;

/** The underlying disk or metadata store failed. The operation may not have happened. */
public class StorageIoException extends EngineException {
    public StorageIoException(String message) { super(message); }
    public StorageIoException(String message, Throwable cause) { super(message, cause); }
}
