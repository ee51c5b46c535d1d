package io.depot.appliance.cli;

/** The CLI's exit codes, stable for scripts (docs/appliance.md lists them). */
public final class ExitCodes {
    private ExitCodes() {}

    public static final int OK = 0;
    /** Bad command line, or input the API refused as bad (400). */
    public static final int USAGE = 1;
    public static final int NOT_FOUND = 2;
    /** Name in use, dependent clones, still mapped, newer snapshots... (409). */
    public static final int CONFLICT = 3;
    /** No token, or the API refused it (401/403). */
    public static final int AUTH = 4;
    /** Nothing answers at the API's address: is depot serve running? */
    public static final int UNREACHABLE = 5;
    /** The pool is full (507). */
    public static final int NO_SPACE = 6;
    /** The server failed or a service is off (5xx). */
    public static final int SERVER_ERROR = 7;

    /** The exit code for an HTTP error status. */
    static int forStatus(int status) {
        return switch (status) {
            case 400, 405, 413, 415 -> USAGE;
            case 401, 403 -> AUTH;
            case 404 -> NOT_FOUND;
            case 409 -> CONFLICT;
            case 507 -> NO_SPACE;
            default -> SERVER_ERROR;
        };
    }
}
