package io.depot.iscsi.fabric.login;

/**
 * The fields of one Login Request PDU that negotiation needs (RFC 7143 §11.12); the fabric decodes
 * the BHS and passes the data segment without its padding.
 *
 * @param transit the T bit
 * @param cont the C bit: the text continues in the next Login Request
 * @param csg current stage (0 security, 1 operational, 3 full feature)
 * @param nsg next stage, meaningful only with T=1
 * @param isid the 48-bit ISID in the low bits
 * @param data the text data segment of this PDU (may be null or empty)
 */
public record LoginRequest(
        boolean transit,
        boolean cont,
        int csg,
        int nsg,
        int versionMax,
        int versionMin,
        long isid,
        int tsih,
        int cid,
        byte[] data) {

    byte[] dataOrEmpty() {
        return data == null ? new byte[0] : data;
    }
}
