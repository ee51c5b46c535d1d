package io.depot.iscsi.scsi;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;

/**
 * Stable SCSI identifiers derived from a backend's UUID, so a LUN keeps its identity across
 * restarts, target renames and LUN renumbering (hypervisors key datastores on it).
 *
 * <p>The logical unit name is an NAA IEEE Registered Extended designator (NAA 6, SPC-4
 * §7.8.6.6.4): 4 bits NAA, a 24-bit company id, 100 bits vendor specific. Depot has no
 * IEEE-assigned OUI, so it uses a company id with the locally-administered bit set (6A-9E-70),
 * as IEEE permits for private assignment; the 100 bits are a SHA-256 prefix of the UUID.
 */
public final class DeviceIdentity {
    /** Locally administered (bit 1 of the first octet set), unicast. */
    public static final int COMPANY_ID = 0x6A9E70;
    public static final String VENDOR = "DEPOT   ";
    public static final String PRODUCT = "Depot volume    ";
    public static final String REVISION = "0001";

    private DeviceIdentity() {}

    /** The 16-byte NAA 6 designator for a backend UUID. */
    public static byte[] naa(UUID uuid) {
        byte[] h = sha256(uuid);
        byte[] d = new byte[16];
        d[0] = (byte) (0x60 | (COMPANY_ID >>> 20));
        d[1] = (byte) (COMPANY_ID >>> 12);
        d[2] = (byte) (COMPANY_ID >>> 4);
        d[3] = (byte) ((COMPANY_ID << 4) | (h[0] & 0x0f));
        System.arraycopy(h, 1, d, 4, 12);
        return d;
    }

    /** "naa.6…" as hypervisors print it. */
    public static String naaString(UUID uuid) {
        return "naa." + HexFormat.of().formatHex(naa(uuid));
    }

    /** Unit serial number (VPD 80h): the UUID without dashes, 32 ASCII characters. */
    public static String serial(UUID uuid) {
        return uuid.toString().replace("-", "");
    }

    private static byte[] sha256(UUID uuid) {
        try {
            ByteBuffer b = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update("depot-naa".getBytes(StandardCharsets.US_ASCII));
            return md.digest(b.array());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
