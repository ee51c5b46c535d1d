package io.depot.iscsi.scsi.pr;

/**
 * The six persistent reservation types (SPC-4 §6.16.4, Table 171) with the access each grants.
 * "Registrants only" and "all registrants" types grant every registered I_T nexus the access of
 * the holder; they differ in who holds the reservation (one nexus, or every registrant).
 */
public enum ReservationType {
    WRITE_EXCLUSIVE(0x1, false, false),
    EXCLUSIVE_ACCESS(0x3, true, false),
    WRITE_EXCLUSIVE_REGISTRANTS_ONLY(0x5, false, true),
    EXCLUSIVE_ACCESS_REGISTRANTS_ONLY(0x6, true, true),
    WRITE_EXCLUSIVE_ALL_REGISTRANTS(0x7, false, true),
    EXCLUSIVE_ACCESS_ALL_REGISTRANTS(0x8, true, true);

    public final int code;
    /** Exclusive access: reads conflict too for those without access. */
    final boolean exclusiveAccess;
    /** Registered I_T nexuses get the holder's access. */
    final boolean registrantsHaveAccess;

    ReservationType(int code, boolean exclusiveAccess, boolean registrantsHaveAccess) {
        this.code = code;
        this.exclusiveAccess = exclusiveAccess;
        this.registrantsHaveAccess = registrantsHaveAccess;
    }

    /** Every registrant is a reservation holder (SPC-4 §5.9.10). */
    public boolean allRegistrants() {
        return this == WRITE_EXCLUSIVE_ALL_REGISTRANTS || this == EXCLUSIVE_ACCESS_ALL_REGISTRANTS;
    }

    /** The type for a TYPE field value, or null for a reserved value. */
    public static ReservationType of(int code) {
        for (ReservationType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
