package io.depot.iscsi.fabric;

/**
 * The 8-byte LUN field of iSCSI PDUs (SAM-5 §4.7): Depot uses single-level peripheral (00b) or
 * flat (01b) addressing, LUNs 0..16383.
 */
final class Lun {
    /** A LUN no target maps, for fields Depot cannot decode: the SCSI layer answers LOGICAL UNIT NOT SUPPORTED. */
    static final long UNSUPPORTED = Long.MAX_VALUE;

    private Lun() {}

    static long decode(long field) {
        int method = (int) (field >>> 62);
        if ((field & 0x0000_ffff_ffff_ffffL) != 0 || method > 1) {
            return UNSUPPORTED;
        }
        return (field >>> 48) & 0x3fff;
    }

    static long encode(long lun) {
        return lun < 256 ? lun << 48 : (0x4000L | lun) << 48;
    }
}
