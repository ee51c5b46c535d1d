package io.depot.engine;

/** No volume with that name or id exists (or it was deleted). */
public class NoSuchVolumeException extends EngineException {
    public NoSuchVolumeException(String message) { super(message); }
    public NoSuchVolumeException(String message, Throwable cause) { super(message, cause); }
}
