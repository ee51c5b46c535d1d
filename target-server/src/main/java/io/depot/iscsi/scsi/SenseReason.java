package io.depot.iscsi.scsi;

import io.depot.iscsi.backstore.BackstoreFailure;

/**
 * Why a command failed, mapped once to its sense key and additional sense code (SPC-4 §4.5.6,
 * Table 28 of sense keys and the ASC/ASCQ table in Annex D). Handlers return a reason; only
 * {@link Sense} builds bytes.
 */
public enum SenseReason {
    // ILLEGAL REQUEST (5h)
    INVALID_OPCODE(0x5, 0x20, 0x00),
    INVALID_FIELD_IN_CDB(0x5, 0x24, 0x00),
    INVALID_FIELD_IN_PARAMETER_LIST(0x5, 0x26, 0x00),
    PARAMETER_LIST_LENGTH_ERROR(0x5, 0x1a, 0x00),
    LBA_OUT_OF_RANGE(0x5, 0x21, 0x00),
    LOGICAL_UNIT_NOT_SUPPORTED(0x5, 0x25, 0x00),
    INVALID_RELEASE_OF_PERSISTENT_RESERVATION(0x5, 0x26, 0x04),
    INSUFFICIENT_REGISTRATION_RESOURCES(0x5, 0x55, 0x04),
    SAVING_PARAMETERS_NOT_SUPPORTED(0x5, 0x39, 0x00),
    TOO_MANY_TARGET_DESCRIPTORS(0x5, 0x26, 0x06),
    UNSUPPORTED_TARGET_DESCRIPTOR_TYPE(0x5, 0x26, 0x07),
    TOO_MANY_SEGMENT_DESCRIPTORS(0x5, 0x26, 0x08),
    UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE(0x5, 0x26, 0x09),
    OPERATION_IN_PROGRESS(0x5, 0x00, 0x16),
    // DATA PROTECT (7h)
    WRITE_PROTECTED(0x7, 0x27, 0x00),
    SPACE_ALLOCATION_FAILED_WRITE_PROTECT(0x7, 0x27, 0x07),
    // MISCOMPARE (Eh)
    MISCOMPARE_DURING_VERIFY(0xe, 0x1d, 0x00),
    // MEDIUM ERROR (3h) / HARDWARE ERROR (4h)
    UNRECOVERED_READ_ERROR(0x3, 0x11, 0x00),
    WRITE_ERROR(0x3, 0x0c, 0x00),
    INTERNAL_TARGET_FAILURE(0x4, 0x44, 0x00),
    // NOT READY (2h)
    NOT_READY_MANUAL_INTERVENTION(0x2, 0x04, 0x03),
    // UNIT ATTENTION (6h)
    POWER_ON_RESET(0x6, 0x29, 0x00),
    BUS_DEVICE_RESET(0x6, 0x29, 0x03),
    I_T_NEXUS_LOSS(0x6, 0x29, 0x07),
    PARAMETERS_CHANGED(0x6, 0x2a, 0x00),
    MODE_PARAMETERS_CHANGED(0x6, 0x2a, 0x01),
    RESERVATIONS_PREEMPTED(0x6, 0x2a, 0x03),
    RESERVATIONS_RELEASED(0x6, 0x2a, 0x04),
    REGISTRATIONS_PREEMPTED(0x6, 0x2a, 0x05),
    CAPACITY_DATA_CHANGED(0x6, 0x2a, 0x09),
    COMMANDS_CLEARED_BY_ANOTHER_INITIATOR(0x6, 0x2f, 0x00),
    REPORTED_LUNS_DATA_CHANGED(0x6, 0x3f, 0x0e),
    THIN_PROVISIONING_SOFT_THRESHOLD_REACHED(0x6, 0x38, 0x07),
    // ABORTED COMMAND (Bh)
    DATA_PHASE_ERROR(0xb, 0x4b, 0x00),

    // COPY ABORTED (Ah)
    /** 0D/02 COPY TARGET DEVICE NOT REACHABLE: a CSCD we cannot resolve (unknown designator, NUL, bad index). */
    COPY_ABORTED_TARGET_FAILURE(0xa, 0x0d, 0x02),
    /** 0D/01 THIRD PARTY DEVICE FAILURE: reading or writing a copy target failed. */
    COPY_ABORTED_THIRD_PARTY_DEVICE_FAILURE(0xa, 0x0d, 0x01),
    /** 00/00: a segment could not be processed (e.g. it runs past a device's end); the segment pointer says which. */
    COPY_ABORTED(0xa, 0x00, 0x00);

    public final int key;
    public final int asc;
    public final int ascq;

    SenseReason(int key, int asc, int ascq) {
        this.key = key;
        this.asc = asc;
        this.ascq = ascq;
    }

    public boolean isUnitAttention() { return key == 0x6; }

    /** The sense reason that tells an initiator about a backstore failure in a command that {@code writes} or not. */
    public static SenseReason ofBackstore(BackstoreFailure.Reason reason, boolean writes) {
        return switch (reason) {
            case NO_SPACE -> SPACE_ALLOCATION_FAILED_WRITE_PROTECT;
            case READ_ONLY -> WRITE_PROTECTED;
            case MISCOMPARE -> MISCOMPARE_DURING_VERIFY;   // SBC-3 §5.2: INFORMATION = first differing byte
            case MEDIUM_ERROR -> writes ? WRITE_ERROR : UNRECOVERED_READ_ERROR;
            case OUT_OF_RANGE -> LBA_OUT_OF_RANGE;
            case DAMAGED_DATA -> UNRECOVERED_READ_ERROR;  // SBC-3 §4.18: INFORMATION = first bad LBA
        };
    }
}
