package io.depot.engine;

/** A volume or snapshot with that name already exists. */
public class NameInUseException extends EngineException {
    public NameInUseException(String message) { super(message); }
    public NameInUseException(String message, Throwable cause) { super(message, cause); }
}
