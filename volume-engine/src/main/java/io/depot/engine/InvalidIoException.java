package io.depot.engine;

/** An I/O request is misaligned, out of range, or otherwise malformed. Nothing was changed. */
public class InvalidIoException extends EngineException {
    public InvalidIoException(String message) { super(message); }
    public InvalidIoException(String message, Throwable cause) { super(message, cause); }
}
