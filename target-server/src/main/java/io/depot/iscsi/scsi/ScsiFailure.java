package io.depot.iscsi.scsi;

/**
 * A command failed for a typed reason: handlers throw it, and the logical unit turns it into a
 * CHECK CONDITION in one place. It carries finished sense bytes so a field pointer or an
 * INFORMATION value travels with the reason. No stack trace: it is an answer, not a bug.
 */
final class ScsiFailure extends RuntimeException {
    private final transient byte[] sense;
    private final SenseReason reason;

    private ScsiFailure(SenseReason reason, byte[] sense) {
        super(reason.name(), null, false, false);
        this.reason = reason;
        this.sense = sense;
    }

    static ScsiFailure of(SenseReason reason) {
        return new ScsiFailure(reason, Sense.fixed(reason));
    }

    /** INVALID FIELD IN CDB pointing at {@code byteOffset} (and {@code bit}, or -1 for the whole byte). */
    static ScsiFailure invalidCdb(int byteOffset, int bit) {
        return new ScsiFailure(SenseReason.INVALID_FIELD_IN_CDB,
                Sense.invalidField(SenseReason.INVALID_FIELD_IN_CDB, true, byteOffset, bit));
    }

    /** INVALID FIELD IN PARAMETER LIST pointing at {@code byteOffset} of the data-out. */
    static ScsiFailure invalidParameter(int byteOffset, int bit) {
        return new ScsiFailure(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST,
                Sense.invalidField(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST, false, byteOffset, bit));
    }

    /** A reason whose INFORMATION field is valid (e.g. MISCOMPARE: offset of the first differing byte). */
    static ScsiFailure withInformation(SenseReason reason, long information) {
        return new ScsiFailure(reason, Sense.withInformation(reason, information));
    }

    SenseReason reason() { return reason; }

    byte[] sense() { return sense; }
}
