package io.depot.iscsi.fabric.login;

/** The login stages as coded in CSG/NSG (RFC 7143 §11.12.3); code 2 is reserved. */
enum LoginStage {
    SECURITY(0),
    OPERATIONAL(1),
    FULL_FEATURE(3);

    final int code;

    LoginStage(int code) {
        this.code = code;
    }

    /** The stage for a CSG/NSG code, or null for the reserved value 2 or anything out of range. */
    static LoginStage fromCode(int code) {
        return switch (code) {
            case 0 -> SECURITY;
            case 1 -> OPERATIONAL;
            case 3 -> FULL_FEATURE;
            default -> null;
        };
    }
}
