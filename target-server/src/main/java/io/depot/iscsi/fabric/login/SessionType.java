package io.depot.iscsi.fabric.login;

/** The SessionType key (RFC 7143 §13.21): a discovery session only answers SendTargets. */
public enum SessionType {
    DISCOVERY("Discovery"),
    NORMAL("Normal");

    private final String keyValue;

    SessionType(String keyValue) {
        this.keyValue = keyValue;
    }

    /** The value as it appears in SessionType=... */
    public String keyValue() {
        return keyValue;
    }

    /** The session type for a SessionType value, or null when the value is neither. */
    static SessionType fromKeyValue(String value) {
        for (SessionType t : values()) {
            if (t.keyValue.equals(value)) {
                return t;
            }
        }
        return null;
    }
}
