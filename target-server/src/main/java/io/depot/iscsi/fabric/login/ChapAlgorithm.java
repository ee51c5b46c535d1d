package io.depot.iscsi.fabric.login;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * CHAP_A values (RFC 1994 / RFC 7143 §12.1.3: 5 = MD5 is mandatory; 6, 7, 8 are the SHA-1,
 * SHA-256 and SHA3-256 codes from the IANA PPP authentication algorithm registry that Linux
 * initiators and targets also offer).
 */
enum ChapAlgorithm {
    MD5(5, "MD5"),
    SHA1(6, "SHA-1"),
    SHA256(7, "SHA-256"),
    SHA3_256(8, "SHA3-256");

    final int code;
    private final String jcaName;

    ChapAlgorithm(int code, String jcaName) {
        this.code = code;
        this.jcaName = jcaName;
    }

    static ChapAlgorithm fromCode(long code) {
        for (ChapAlgorithm a : values()) {
            if (a.code == code) {
                return a;
            }
        }
        return null;
    }

    int digestLength() {
        return newDigest().getDigestLength();
    }

    /** Our challenge length: 16 bytes for MD5 (what initiators expect), the digest length beyond. */
    int challengeLength() {
        return Math.max(16, digestLength());
    }

    /** RFC 1994 §4.1: the response is H(identifier || secret || challenge). */
    byte[] response(int identifier, byte[] secret, byte[] challenge) {
        MessageDigest digest = newDigest();
        digest.update((byte) identifier);
        digest.update(secret);
        digest.update(challenge);
        return digest.digest();
    }

    private MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance(jcaName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks " + jcaName, e);
        }
    }
}
