package io.depot.iscsi.scsi;

/**
 * An I_T nexus: one initiator port talking to one target port. For iSCSI (RFC 7143 §4.4.2) the
 * initiator port is the initiator name plus the session's ISID, the target port the target name
 * plus the portal group tag. Unit attentions and reservations are kept per nexus.
 *
 * @param initiatorName   initiator IQN/EUI name as sent at login
 * @param isid            the 6-byte ISID as a number
 * @param targetName      target IQN
 * @param portalGroupTag  TPGT of the target portal group the session logged in through
 * @param relativePortId  the SCSI relative target port identifier (1 = first portal group)
 */
public record ItNexus(String initiatorName, long isid, String targetName, int portalGroupTag, int relativePortId) {

    /** SCSI initiator port name, e.g. {@code iqn.1993-08.org.debian:01:abc,i,0x23d000000001}. */
    public String initiatorPortName() {
        return initiatorName + ",i,0x" + String.format("%012x", isid);
    }

    /** SCSI target port name, e.g. {@code iqn.2026-11.io.depot:vm,t,0x0001}. */
    public String targetPortName() {
        return targetName + ",t,0x" + String.format("%04x", portalGroupTag);
    }
}
