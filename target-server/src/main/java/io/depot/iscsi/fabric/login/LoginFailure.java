package io.depot.iscsi.fabric.login;

/**
 * Ends a login with a failure status. Internal control flow only: {@link LoginNegotiation#handle}
 * turns it into a Login Response and never lets it escape.
 */
final class LoginFailure extends RuntimeException {
    private final LoginStatus status;

    LoginFailure(LoginStatus status, String reason) {
        super(reason, null, false, false);
        this.status = status;
    }

    LoginStatus status() {
        return status;
    }
}
