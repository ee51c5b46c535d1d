package io.depot.iscsi.scsi;

/** Builds fixed-format sense data (SPC-4 §4.5.3) and CHECK CONDITION results. */
public final class Sense {
    public static final int FIXED_LENGTH = 18;

    private Sense() {}

    /** Fixed-format sense data for a reason. */
    public static byte[] fixed(SenseReason reason) {
        return fixed(reason, false, 0, null);
    }

    /**
     * Fixed-format sense data; {@code information} (e.g. the miscompare offset) is set when
     * {@code infoValid}; {@code senseKeySpecific} is the 3 SKSV bytes (bit 7 of the first set) or null.
     */
    public static byte[] fixed(SenseReason reason, boolean infoValid, long information, byte[] senseKeySpecific) {
        byte[] s = new byte[FIXED_LENGTH];
        s[0] = (byte) ((infoValid ? 0x80 : 0) | 0x70); // current error, fixed format
        s[2] = (byte) reason.key;
        s[3] = (byte) (information >>> 24);
        s[4] = (byte) (information >>> 16);
        s[5] = (byte) (information >>> 8);
        s[6] = (byte) information;
        s[7] = (byte) (FIXED_LENGTH - 8); // additional sense length
        s[12] = (byte) reason.asc;
        s[13] = (byte) reason.ascq;
        if (senseKeySpecific != null) {
            System.arraycopy(senseKeySpecific, 0, s, 15, 3);
        }
        return s;
    }

    /**
     * Fixed-format sense whose INFORMATION field carries {@code information} (a miscompare offset,
     * the first unreadable LBA). A value past the field's four bytes cannot be reported in fixed
     * format: VALID is then clear and the field zero, as SPC-4 §4.5.3 allows (VALID 0: not defined).
     */
    public static byte[] withInformation(SenseReason reason, long information) {
        boolean fits = (information >>> 32) == 0;
        return fixed(reason, fits, fits ? information : 0, null);
    }

    /**
     * ILLEGAL REQUEST sense pointing at the offending byte (and bit) of the CDB or parameter list
     * (SPC-4 §4.5.2.4.2, field pointer).
     */
    public static byte[] invalidField(SenseReason reason, boolean inCdb, int byteOffset, int bit) {
        byte b0 = (byte) (0x80 | (inCdb ? 0x40 : 0) | (bit >= 0 ? 0x08 | (bit & 7) : 0));
        return fixed(reason, false, 0, new byte[] {b0, (byte) (byteOffset >>> 8), (byte) byteOffset});
    }

    public static ScsiResult check(SenseReason reason) {
        return new ScsiResult(ScsiResult.CHECK_CONDITION, fixed(reason), null);
    }

    public static ScsiResult check(byte[] sense) {
        return new ScsiResult(ScsiResult.CHECK_CONDITION, sense, null);
    }
}
