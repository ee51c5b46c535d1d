package io.depot.engine;

/** The snapshot or volume has linked clones that still read through it. */
public class DependentClonesException extends EngineException {
    public DependentClonesException(String message) { super(message); }
    public DependentClonesException(String message, Throwable cause) { super(message, cause); }
}
