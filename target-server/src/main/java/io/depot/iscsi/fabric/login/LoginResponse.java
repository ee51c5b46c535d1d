package io.depot.iscsi.fabric.login;

/**
 * What to send back in the Login Response PDU (RFC 7143 §11.13); the fabric fills ITT, StatSN,
 * TSIH, ISID, ExpCmdSN, MaxCmdSN and the version fields (Version-max = Version-active = 0).
 *
 * <p>When {@link #statusClass()} is not 0 the fabric sends the response and closes the connection.
 */
public record LoginResponse(
        boolean transit,
        boolean cont,
        int csg,
        int nsg,
        int statusClass,
        int statusDetail,
        byte[] data) {

    public boolean isSuccess() {
        return statusClass == 0;
    }

    public LoginStatus status() {
        return LoginStatus.of(statusClass, statusDetail);
    }
}
