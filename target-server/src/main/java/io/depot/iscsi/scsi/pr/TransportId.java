package io.depot.iscsi.scsi.pr;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * iSCSI TransportIDs (SPC-4 §7.6.4.6): format 00b names an initiator device (every port of it),
 * format 01b one initiator port ("name,i,0xISID"). Protocol identifier 5h; the name is
 * null-terminated UTF-8 and the additional length a multiple of four, at least 20.
 *
 * @param initiatorName the iSCSI name
 * @param isid          the ISID, or {@link Registration#ANY_ISID} for format 00b
 * @param length        bytes the TransportID occupied in the parameter list
 */
record TransportId(String initiatorName, long isid, int length) {
    static final int PROTOCOL_ISCSI = 0x5;
    private static final String SEPARATOR = ",i,0x";

    /** Thrown for a TransportID we cannot accept; {@code offset} is relative to the TransportID. */
    static final class Malformed extends Exception {
        final int offset;

        Malformed(int offset, String why) {
            super(why, null, false, false);
            this.offset = offset;
        }
    }

    static TransportId parse(byte[] p, int off, int limit) throws Malformed {
        if (limit - off < 4) {
            throw new Malformed(0, "truncated header");
        }
        int format = (p[off] >>> 6) & 3;
        if ((p[off] & 0x0f) != PROTOCOL_ISCSI || format > 1) {
            throw new Malformed(0, "not an iSCSI TransportID");
        }
        int additional = ((p[off + 2] & 0xff) << 8) | (p[off + 3] & 0xff);
        if (additional < 20 || additional % 4 != 0) {
            throw new Malformed(2, "bad additional length " + additional);
        }
        int end = off + 4 + additional;
        if (end > limit) {
            throw new Malformed(2, "runs past the parameter list");
        }
        int nul = off + 4;
        while (nul < end && p[nul] != 0) {
            nul++;
        }
        if (nul == end) {
            throw new Malformed(4, "name not null-terminated");
        }
        String text = new String(p, off + 4, nul - off - 4, StandardCharsets.UTF_8);
        if (format == 0) {
            if (text.isEmpty() || text.toLowerCase(Locale.ROOT).contains(SEPARATOR)) {
                throw new Malformed(4, "bad name");
            }
            return new TransportId(text, Registration.ANY_ISID, 4 + additional);
        }
        int sep = text.toLowerCase(Locale.ROOT).lastIndexOf(SEPARATOR);
        if (sep <= 0) {
            throw new Malformed(4, "no ISID separator");
        }
        String hex = text.substring(sep + SEPARATOR.length());
        if (hex.isEmpty() || hex.length() > 12) {
            throw new Malformed(4 + sep, "bad ISID");
        }
        long isid;
        try {
            isid = Long.parseLong(hex, 16);
        } catch (NumberFormatException e) {
            throw new Malformed(4 + sep, "bad ISID");
        }
        return new TransportId(text.substring(0, sep), isid, 4 + additional);
    }

    /** The TransportID of a registration: format 01b when it names one port, else 00b. */
    static byte[] format(String initiatorName, long isid) {
        String text = isid == Registration.ANY_ISID
            ? initiatorName
            : initiatorName + SEPARATOR + String.format("%012x", isid);
        byte[] name = text.getBytes(StandardCharsets.UTF_8);
        int additional = Math.max(20, (name.length + 1 + 3) & ~3);
        byte[] t = new byte[4 + additional];
        t[0] = (byte) ((isid == Registration.ANY_ISID ? 0x00 : 0x40) | PROTOCOL_ISCSI);
        t[2] = (byte) (additional >>> 8);
        t[3] = (byte) additional;
        System.arraycopy(name, 0, t, 4, name.length);
        return t;
    }
}
