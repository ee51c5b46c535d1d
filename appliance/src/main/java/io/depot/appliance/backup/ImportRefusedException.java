package io.depot.appliance.backup;

/**
 * An import the volume's state does not allow: the name is taken, the stream's base is not the
 * volume's latest snapshot, the volume changed since that snapshot, it is being served. {@code code}
 * is a stable word for scripts (the API's problem code; HTTP 409).
 */
public final class ImportRefusedException extends RuntimeException {
    private final String code;

    public ImportRefusedException(String code, String message) {
        super(message);
        this.code = code;
    }

    public String code() { return code; }
}
