package io.depot.iscsi.scsi.pr;

import io.depot.iscsi.scsi.ItNexus;

/**
 * One registration: a reservation key for an initiator port as seen through a target port.
 * Immutable; a key change replaces the registration.
 *
 * @param key            the reservation key (never zero)
 * @param initiatorName  iSCSI initiator name
 * @param isid           the initiator port's ISID, or {@link #ANY_ISID} when registered through a
 *                       name-only TransportID (format 00b), which names every port of that initiator
 * @param relativePortId the relative target port identifier, or {@link #ALL_PORTS} (ALL_TG_PT)
 */
public record Registration(long key, String initiatorName, long isid, int relativePortId) {
    public static final long ANY_ISID = -1;
    public static final int ALL_PORTS = 0;

    public boolean allTargetPorts() { return relativePortId == ALL_PORTS; }

    public boolean matches(ItNexus nexus) {
        return initiatorName.equalsIgnoreCase(nexus.initiatorName())
            && (isid == ANY_ISID || isid == nexus.isid())
            && (relativePortId == ALL_PORTS || relativePortId == nexus.relativePortId());
    }

    /** True if both name at least one common I_T nexus. */
    boolean overlaps(Registration other) {
        return initiatorName.equalsIgnoreCase(other.initiatorName)
            && (isid == ANY_ISID || other.isid == ANY_ISID || isid == other.isid)
            && (relativePortId == ALL_PORTS || other.relativePortId == ALL_PORTS || relativePortId == other.relativePortId);
    }

    Registration withKey(long newKey) {
        return new Registration(newKey, initiatorName, isid, relativePortId);
    }
}
