package io.depot.engine;

/** The pool has no free cluster for a write that needs one. Deleting data makes space usable again. */
public class OutOfSpaceException extends EngineException {
    public OutOfSpaceException(String message) { super(message); }
    public OutOfSpaceException(String message, Throwable cause) { super(message, cause); }
}
