package io.depot.iscsi.scsi;

/** Big-endian field access for CDBs and parameter data (SCSI is big-endian throughout). */
final class Fields {
    private Fields() {}

    static int u8(byte[] b, int off) { return b[off] & 0xff; }

    static int u16(byte[] b, int off) { return (b[off] & 0xff) << 8 | (b[off + 1] & 0xff); }

    static int u24(byte[] b, int off) { return (b[off] & 0xff) << 16 | u16(b, off + 1); }

    static long u32(byte[] b, int off) { return ((long) (b[off] & 0xff) << 24) | u24(b, off + 1); }

    static long u64(byte[] b, int off) { return u32(b, off) << 32 | u32(b, off + 4); }

    static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    static void put32(byte[] b, int off, long v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    static void put64(byte[] b, int off, long v) {
        put32(b, off, v >>> 32);
        put32(b, off + 4, v);
    }

    /** ASCII, space padded to {@code len}. */
    static void putAscii(byte[] b, int off, int len, String s) {
        for (int i = 0; i < len; i++) {
            b[off + i] = (byte) (i < s.length() ? s.charAt(i) : ' ');
        }
    }
}
