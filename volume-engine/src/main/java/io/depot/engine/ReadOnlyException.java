package io.depot.engine;

/** A write was sent to something read-only, such as a snapshot. */
public class ReadOnlyException extends EngineException {
    public ReadOnlyException(String message) { super(message); }
    public ReadOnlyException(String message, Throwable cause) { super(message, cause); }
}
