package io.depot.appliance.api;

/**
 * An error the API answers with an RFC 9457 problem document. {@code code} is a short stable word
 * (not-found, name-in-use, ...) scripts can match on without parsing the human {@code detail}.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String code;

    public ApiException(int status, String code, String detail) {
        super(detail);
        this.status = status;
        this.code = code;
    }

    public int status() { return status; }

    public String code() { return code; }

    public static ApiException badRequest(String detail) { return new ApiException(400, "bad-request", detail); }

    public static ApiException notFound(String detail) { return new ApiException(404, "not-found", detail); }

    public static ApiException conflict(String code, String detail) { return new ApiException(409, code, detail); }
}
