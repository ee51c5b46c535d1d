package io.depot.engine;

/** Base of every error the engine reports to its callers. Protocol layers map subclasses to wire errors. */
public class EngineException extends RuntimeException {
    public EngineException(String message) { super(message); }
    public EngineException(String message, Throwable cause) { super(message, cause); }
}
