package io.depot.engine;

/** The directory does not hold a pool this engine can open, or holds one already. */
public class PoolFormatException extends EngineException {
    public PoolFormatException(String message) { super(message); }
    public PoolFormatException(String message, Throwable cause) { super(message, cause); }
}
