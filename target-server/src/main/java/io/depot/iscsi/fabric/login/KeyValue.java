package io.depot.iscsi.fabric.login;

/** One key=value pair of iSCSI text (RFC 7143 §6.1). */
public record KeyValue(String key, String value) {
    @Override
    public String toString() {
        return key + "=" + value;
    }
}
