package io.depot.iscsi.fabric.login;

/** A HeaderDigest / DataDigest value (RFC 7143 §13.1); CRC32C is the only digest iSCSI defines. */
public enum Digest {
    NONE("None"),
    CRC32C("CRC32C");

    private final String keyValue;

    Digest(String keyValue) {
        this.keyValue = keyValue;
    }

    public String keyValue() {
        return keyValue;
    }
}
