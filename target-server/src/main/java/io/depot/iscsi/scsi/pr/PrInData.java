package io.depot.iscsi.scsi.pr;

import java.io.ByteArrayOutputStream;

/** PERSISTENT RESERVE IN parameter data (SPC-4 §6.15), built from one state snapshot. */
final class PrInData {
    private PrInData() {}

    /** READ KEYS (§6.15.2): PRgeneration, then every registered key. */
    static byte[] readKeys(ReservationState s) {
        int n = s.registrations().size();
        byte[] d = new byte[8 + 8 * n];
        putInt(d, 0, s.generation());
        putInt(d, 4, 8 * n);
        for (int i = 0; i < n; i++) {
            putLong(d, 8 + 8 * i, s.registrations().get(i).key());
        }
        return d;
    }

    /** READ RESERVATION (§6.15.3): the key is zero for all-registrants types. */
    static byte[] readReservation(ReservationState s) {
        if (s.type() == null) {
            byte[] d = new byte[8];
            putInt(d, 0, s.generation());
            return d;
        }
        byte[] d = new byte[24];
        putInt(d, 0, s.generation());
        putInt(d, 4, 16);
        putLong(d, 8, s.type().allRegistrants() ? 0 : s.holder().key());
        d[21] = (byte) s.type().code; // scope 0h: logical unit
        return d;
    }

    /**
     * REPORT CAPABILITIES (§6.15.4): CRH, SIP_C, ATP_C, PTPL_C when persistence is available;
     * TMV with ALLOW COMMANDS 001b (TEST UNIT READY runs through WE and EA reservations); PTPL_A
     * the current APTPL state; every type supported.
     */
    static byte[] reportCapabilities(ReservationState s, boolean canPersist) {
        byte[] d = new byte[8];
        d[1] = 8;
        d[2] = (byte) (0x10 | 0x08 | 0x04 | (canPersist ? 0x01 : 0));
        d[3] = (byte) (0x80 | (0b001 << 4) | (s.aptpl() ? 0x01 : 0));
        d[4] = (byte) (0x80 | 0x40 | 0x20 | 0x08 | 0x02); // WR_EX_AR, EX_AC_RO, WR_EX_RO, EX_AC, WR_EX
        d[5] = 0x01;                                      // EX_AC_AR
        return d;
    }

    /** READ FULL STATUS (§6.15.5): one descriptor per registration with its TransportID. */
    static byte[] readFullStatus(ReservationState s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[8]);
        for (Registration r : s.registrations()) {
            byte[] tid = TransportId.format(r.initiatorName(), r.isid());
            byte[] d = new byte[24];
            putLong(d, 0, r.key());
            boolean holder = s.isHolder(r);
            d[12] = (byte) ((r.allTargetPorts() ? 0x02 : 0) | (holder ? 0x01 : 0));
            if (holder) {
                d[13] = (byte) s.type().code;
            }
            d[18] = (byte) (r.relativePortId() >>> 8);
            d[19] = (byte) r.relativePortId();
            putInt(d, 20, tid.length);
            out.writeBytes(d);
            out.writeBytes(tid);
        }
        byte[] all = out.toByteArray();
        putInt(all, 0, s.generation());
        putInt(all, 4, all.length - 8);
        return all;
    }

    private static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    private static void putLong(byte[] b, int off, long v) {
        putInt(b, off, (int) (v >>> 32));
        putInt(b, off + 4, (int) v);
    }
}
