package io.depot.iscsi.scsi;

/**
 * The mode pages of one logical unit (SPC-4 §7.5, SBC-3 §6.4) and their one changeable setting,
 * the caching page's WCE bit. Values are not saveable: they return to the defaults on a LOGICAL
 * UNIT RESET and a restart.
 */
final class ModePages {
    static final int READ_WRITE_ERROR_RECOVERY = 0x01;
    static final int CACHING = 0x08;
    static final int CONTROL = 0x0a;
    static final int INFORMATIONAL_EXCEPTIONS = 0x1c;
    static final int ALL_PAGES = 0x3f;
    /** Supported pages in the order MODE SENSE returns them for page 3Fh. */
    static final int[] PAGES = {READ_WRITE_ERROR_RECOVERY, CACHING, CONTROL, INFORMATIONAL_EXCEPTIONS};

    static final int PC_CURRENT = 0;
    static final int PC_CHANGEABLE = 1;
    static final int PC_DEFAULT = 2;
    static final int PC_SAVED = 3;

    private static final int WCE = 0x04;

    /** Write cache enabled: writes may be acknowledged before they are durable (flushed by SYNCHRONIZE CACHE). */
    private volatile boolean writeCache = true;

    boolean writeCacheEnabled() { return writeCache; }

    /** LOGICAL UNIT RESET restores default values (SAM-5 §6.3.3: saved values, and we save none). */
    void reset() { writeCache = true; }

    static boolean supported(int page) {
        for (int p : PAGES) {
            if (p == page) {
                return true;
            }
        }
        return false;
    }

    /** A page's bytes for a page control value (0 current, 1 changeable mask, 2 default). */
    byte[] page(int code, int pc) {
        boolean wce = switch (pc) {
            case PC_CURRENT -> writeCache;
            case PC_DEFAULT -> true;
            default -> false;
        };
        boolean mask = pc == PC_CHANGEABLE;
        return switch (code) {
            case READ_WRITE_ERROR_RECOVERY -> header(code, 0x0a);
            case CACHING -> {
                byte[] p = header(code, 0x12);
                if (mask || wce) {
                    p[2] = WCE;
                }
                yield p;
            }
            case CONTROL -> {
                byte[] p = header(code, 0x0a);
                if (!mask) {
                    // TST 000b (one task set), D_SENSE 0 (fixed sense), GLTSD 1 (no log pages to save)
                    p[2] = 0x02;
                    // QUEUE ALGORITHM MODIFIER 1: unrestricted reordering of SIMPLE tasks; QERR 00b
                    p[3] = 0x10;
                    // UA_INTLCK_CTRL 00b, SWP 0; TAS 0 (aborted tasks of other nexuses are not answered)
                    p[8] = (byte) 0xff;   // BUSY TIMEOUT PERIOD: unlimited
                    p[9] = (byte) 0xff;
                }
                yield p;
            }
            case INFORMATIONAL_EXCEPTIONS -> {
                byte[] p = header(code, 0x0a);
                if (!mask) {
                    p[2] = 0x08;   // DEXCPT: no informational exception reporting
                }
                yield p;
            }
            default -> throw new IllegalArgumentException("mode page " + code);
        };
    }

    /**
     * MODE SELECT of one page whose bytes are at {@code params[off..off+len)}: every bit that differs from
     * the current value must be changeable (SPC-4 §6.11). With {@code apply} false it only validates.
     * Returns true if the page changed anything.
     */
    synchronized boolean select(byte[] params, int off, int len, boolean apply) {
        int code = params[off] & 0x3f;
        if ((params[off] & 0x40) != 0) {
            throw ScsiFailure.invalidParameter(off, 6);   // subpage format: we have no subpages
        }
        if (!supported(code)) {
            throw ScsiFailure.invalidParameter(off, 5);
        }
        byte[] current = page(code, PC_CURRENT);
        byte[] changeable = page(code, PC_CHANGEABLE);
        if (len != current.length || (params[off + 1] & 0xff) != current.length - 2) {
            throw ScsiFailure.invalidParameter(off + 1, -1);
        }
        for (int i = 2; i < current.length; i++) {
            int diff = (params[off + i] ^ current[i]) & ~changeable[i] & 0xff;
            if (diff != 0) {
                throw ScsiFailure.invalidParameter(off + i, 31 - Integer.numberOfLeadingZeros(diff));
            }
        }
        if (apply && code == CACHING) {
            boolean wce = (params[off + 2] & WCE) != 0;
            if (wce != writeCache) {
                writeCache = wce;
                return true;
            }
        }
        return false;
    }

    /** Length a page occupies, read from its header (page length + 2). */
    static int length(byte[] params, int off) { return (params[off + 1] & 0xff) + 2; }

    private static byte[] header(int code, int pageLength) {
        byte[] p = new byte[pageLength + 2];
        p[0] = (byte) code;
        p[1] = (byte) pageLength;
        return p;
    }
}
