package io.depot.iscsi.fabric.login;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A scripted initiator: builds Login Requests and reads the answers of one LoginNegotiation. */
final class Initiator {
    static final int SECURITY = 0;
    static final int OPERATIONAL = 1;
    static final int FULL_FEATURE = 3;

    final LoginNegotiation login;
    long isid = 0x023d00010000L;
    int tsih = 0;
    int cid = 0;

    Initiator(TargetCatalog catalog, TargetLimits limits) {
        this.login = new LoginNegotiation(catalog, limits, 1, new SecureRandom());
    }

    Initiator() {
        this(TestTargets.standard(), TargetLimits.defaults());
    }

    /** One Login Request with C=0 carrying the given "key=value" pairs. */
    LoginResponse send(int csg, int nsg, boolean transit, String... pairs) {
        return send(new LoginRequest(transit, false, csg, nsg, 0, 0, isid, tsih, cid, text(pairs)));
    }

    LoginResponse send(LoginRequest request) {
        LoginResponse response = login.handle(request);
        assertEquals(response.statusClass() != 0, login.isFailed(), "isFailed matches the status");
        return response;
    }

    static byte[] text(String... pairs) {
        StringBuilder sb = new StringBuilder();
        for (String p : pairs) {
            sb.append(p).append('\0');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The answers in a response, checked to be well-formed text with no key twice. */
    static Map<String, String> answers(LoginResponse response) {
        return answers(response.data());
    }

    static Map<String, String> answers(byte[] data) {
        TextCodec.Parsed parsed = assertInstanceOf(TextCodec.Parsed.class, TextCodec.decode(data));
        Map<String, String> map = new LinkedHashMap<>();
        for (KeyValue kv : parsed.pairs()) {
            assertNull(map.put(kv.key(), kv.value()), "key answered twice: " + kv.key());
        }
        return map;
    }

    static List<KeyValue> pairs(byte[] data) {
        return assertInstanceOf(TextCodec.Parsed.class, TextCodec.decode(data)).pairs();
    }

    static void assertStatus(LoginStatus expected, LoginResponse response) {
        assertEquals(expected, response.status(), "login status");
        if (expected != LoginStatus.SUCCESS) {
            assertFalse(response.transit(), "a failure response has T=0");
            assertEquals(0, response.data().length, "a failure response carries no text");
        }
    }

    /** What the libiscsi initiator sends in its operational stage (lib/login.c). */
    static String[] libiscsiOperationalKeys(String target) {
        return new String[] {
            "InitiatorName=" + TestTargets.INITIATOR, "TargetName=" + target, "SessionType=Normal",
            "HeaderDigest=None,CRC32C", "DataDigest=None", "InitialR2T=No", "ImmediateData=Yes",
            "MaxBurstLength=262144", "FirstBurstLength=262144", "DefaultTime2Wait=2", "DefaultTime2Retain=0",
            "MaxOutstandingR2T=1", "ErrorRecoveryLevel=0", "IFMarker=No", "OFMarker=No", "MaxConnections=1",
            "MaxRecvDataSegmentLength=262144", "DataPDUInOrder=Yes", "DataSequenceInOrder=Yes"
        };
    }

    /** A CHAP response computed independently of the code under test: H(id || secret || challenge). */
    static byte[] chapResponse(String jcaAlgorithm, int id, byte[] secret, byte[] challenge) throws Exception {
        MessageDigest md = MessageDigest.getInstance(jcaAlgorithm);
        md.update((byte) id);
        md.update(secret);
        md.update(challenge);
        return md.digest();
    }

    static byte[] unhex(String value) {
        return HexFormat.of().parseHex(value.substring(2));
    }

    static String hex(byte[] bytes) {
        return "0x" + HexFormat.of().formatHex(bytes);
    }
}
