package io.depot.iscsi.fabric.login;

import static io.depot.iscsi.fabric.login.Initiator.FULL_FEATURE;
import static io.depot.iscsi.fabric.login.Initiator.OPERATIONAL;
import static io.depot.iscsi.fabric.login.Initiator.SECURITY;
import static io.depot.iscsi.fabric.login.Initiator.answers;
import static io.depot.iscsi.fabric.login.Initiator.assertStatus;
import static io.depot.iscsi.fabric.login.Initiator.chapResponse;
import static io.depot.iscsi.fabric.login.Initiator.hex;
import static io.depot.iscsi.fabric.login.Initiator.libiscsiOperationalKeys;
import static io.depot.iscsi.fabric.login.Initiator.unhex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** CHAP in the security stage (RFC 7143 §12.1.3, RFC 1994), driven the way libiscsi and open-iscsi drive it. */
class ChapLoginTest {
    private static final byte[] SECRET = TestTargets.INITIATOR_SECRET.secret();
    private static final byte[] TARGET_SECRET = TestTargets.TARGET_SECRET.secret();

    /** The exchange up to our challenge; returns the answers carrying CHAP_A, CHAP_I and CHAP_C. */
    private static Map<String, String> challenge(Initiator i, String target, String algorithms) {
        LoginResponse r = i.send(SECURITY, OPERATIONAL, true, "InitiatorName=" + TestTargets.INITIATOR,
                "TargetName=" + target, "SessionType=Normal", "AuthMethod=CHAP,None");
        assertStatus(LoginStatus.SUCCESS, r);
        assertFalse(r.transit(), "CHAP still to run: no transit even though the initiator asked");
        assertEquals("CHAP", answers(r).get("AuthMethod"));
        r = i.send(SECURITY, OPERATIONAL, false, "CHAP_A=" + algorithms);
        assertStatus(LoginStatus.SUCCESS, r);
        assertFalse(r.transit());
        return answers(r);
    }

    @ParameterizedTest(name = "CHAP_A={0} -> {1} ({2}), {3} response")
    @CsvSource({
        "5, 5, MD5, hex",
        "5, 5, MD5, base64",
        "'7,5', 7, SHA-256, hex",
        "'7,5', 7, SHA-256, base64",
        "'99,6', 6, SHA-1, hex",
        "'8', 8, SHA3-256, hex",
        "'0x5', 5, MD5, hex",
    })
    void oneWayChapLogsIn(String offered, int chosen, String jca, String encoding) throws Exception {
        Initiator i = new Initiator();
        Map<String, String> c = challenge(i, TestTargets.CHAP, offered);
        assertEquals(Integer.toString(chosen), c.get("CHAP_A"));
        int id = Integer.parseInt(c.get("CHAP_I"));
        assertTrue(id >= 0 && id <= 255);
        byte[] challenge = unhex(c.get("CHAP_C"));
        assertTrue(challenge.length >= 16, "challenge of 16 bytes or more");
        byte[] response = chapResponse(jca, id, SECRET, challenge);
        String encoded = encoding.equals("hex") ? hex(response) : "0b" + Base64.getEncoder().encodeToString(response);
        LoginResponse r = i.send(SECURITY, OPERATIONAL, true, "CHAP_N=host1", "CHAP_R=" + encoded);
        assertStatus(LoginStatus.SUCCESS, r);
        assertTrue(r.transit());
        assertEquals(OPERATIONAL, r.nsg());
        assertFalse(answers(r).containsKey("CHAP_R"), "no mutual CHAP asked");
        r = i.send(OPERATIONAL, FULL_FEATURE, true, libiscsiOperationalKeys(TestTargets.CHAP));
        assertStatus(LoginStatus.SUCCESS, r);
        assertTrue(i.login.isComplete());
        assertEquals(TestTargets.CHAP, i.login.result().targetName());
    }

    @Test
    void challengesDifferBetweenLogins() {
        Set<String> seen = new java.util.HashSet<>();
        for (int k = 0; k < 20; k++) {
            assertTrue(seen.add(challenge(new Initiator(), TestTargets.CHAP, "5").get("CHAP_C")));
        }
    }

    @Test
    void authMethodAndAlgorithmInOneTextAlsoWork() throws Exception {
        Initiator i = new Initiator();
        LoginResponse r = i.send(SECURITY, OPERATIONAL, false, "InitiatorName=" + TestTargets.INITIATOR,
                "TargetName=" + TestTargets.CHAP, "AuthMethod=CHAP", "CHAP_A=5");
        Map<String, String> c = answers(r);
        assertEquals("CHAP", c.get("AuthMethod"));
        byte[] response = chapResponse("MD5", Integer.parseInt(c.get("CHAP_I")), SECRET, unhex(c.get("CHAP_C")));
        // T=0 with the response: authenticated, but no transit until asked.
        r = i.send(SECURITY, OPERATIONAL, false, "CHAP_N=host1", "CHAP_R=" + hex(response));
        assertStatus(LoginStatus.SUCCESS, r);
        assertFalse(r.transit());
        r = i.send(SECURITY, FULL_FEATURE, true);
        assertStatus(LoginStatus.SUCCESS, r);
        assertTrue(r.transit());
        assertTrue(i.login.isComplete());
    }

    @Test
    void mutualChapProvesTheTargetToo() throws Exception {
        Initiator i = new Initiator();
        Map<String, String> c = challenge(i, TestTargets.MUTUAL, "5");
        byte[] response = chapResponse("MD5", Integer.parseInt(c.get("CHAP_I")), SECRET, unhex(c.get("CHAP_C")));
        byte[] myChallenge = new byte[32];
        new java.util.Random(1).nextBytes(myChallenge);
        LoginResponse r = i.send(SECURITY, OPERATIONAL, true, "CHAP_N=host1", "CHAP_R=" + hex(response),
                "CHAP_I=77", "CHAP_C=" + hex(myChallenge));
        assertStatus(LoginStatus.SUCCESS, r);
        assertTrue(r.transit());
        Map<String, String> a = answers(r);
        assertEquals("depot", a.get("CHAP_N"));
        assertArrayEquals(chapResponse("MD5", 77, TARGET_SECRET, myChallenge), unhex(a.get("CHAP_R")));
        assertStatus(LoginStatus.SUCCESS, i.send(OPERATIONAL, FULL_FEATURE, true, "HeaderDigest=None"));
        assertTrue(i.login.isComplete());
    }

    @Test
    void mutualChapWithBase64ChallengeAndSha256() throws Exception {
        Initiator i = new Initiator();
        Map<String, String> c = challenge(i, TestTargets.MUTUAL, "7");
        byte[] response = chapResponse("SHA-256", Integer.parseInt(c.get("CHAP_I")), SECRET, unhex(c.get("CHAP_C")));
        byte[] myChallenge = "sixteen byte chl".getBytes(StandardCharsets.US_ASCII);
        LoginResponse r = i.send(SECURITY, OPERATIONAL, true, "CHAP_N=host1", "CHAP_R=" + hex(response),
                "CHAP_I=0x2a", "CHAP_C=0b" + Base64.getEncoder().encodeToString(myChallenge));
        assertStatus(LoginStatus.SUCCESS, r);
        assertArrayEquals(chapResponse("SHA-256", 42, TARGET_SECRET, myChallenge), unhex(answers(r).get("CHAP_R")));
    }

    @Test
    void reflectedChallengeIsRefused() throws Exception {
        Initiator i = new Initiator();
        Map<String, String> c = challenge(i, TestTargets.MUTUAL, "5");
        int id = Integer.parseInt(c.get("CHAP_I"));
        byte[] response = chapResponse("MD5", id, SECRET, unhex(c.get("CHAP_C")));
        LoginResponse r = i.send(SECURITY, OPERATIONAL, true, "CHAP_N=host1", "CHAP_R=" + hex(response),
                "CHAP_I=" + id, "CHAP_C=" + c.get("CHAP_C"));
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, r);
    }

    @Test
    void mutualChapAgainstATargetWithoutMutualSecretFails() throws Exception {
        Initiator i = new Initiator();
        Map<String, String> c = challenge(i, TestTargets.CHAP, "5");
        byte[] response = chapResponse("MD5", Integer.parseInt(c.get("CHAP_I")), SECRET, unhex(c.get("CHAP_C")));
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, i.send(SECURITY, OPERATIONAL, true,
                "CHAP_N=host1", "CHAP_R=" + hex(response), "CHAP_I=1", "CHAP_C=0x0102030405060708090a0b0c0d0e0f10"));
    }

    @Test
    void mutualChapWithTheSameSecretBothWaysIsRefused() throws Exception {
        TestTargets catalog = new TestTargets();
        catalog.add(new TestTargets.Target(TestTargets.MUTUAL, null, Set.of(), TestTargets.INITIATOR_SECRET,
                new ChapSecret("depot", SECRET), java.util.List.of()));
        Initiator i = new Initiator(catalog, TargetLimits.defaults());
        Map<String, String> c = challenge(i, TestTargets.MUTUAL, "5");
        byte[] response = chapResponse("MD5", Integer.parseInt(c.get("CHAP_I")), SECRET, unhex(c.get("CHAP_C")));
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, i.send(SECURITY, OPERATIONAL, true,
                "CHAP_N=host1", "CHAP_R=" + hex(response), "CHAP_I=1", "CHAP_C=0x0102030405060708090a0b0c0d0e0f10"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "wrong secret      | host1   | wrong-secret-value  |                                         | wrong CHAP response",
        "wrong name        | mallory | initiator-secret-16 |                                         | unknown CHAP name",
        "CHAP_I alone      | host1   | initiator-secret-16 | CHAP_I=3                                | both CHAP_I and CHAP_C",
        "CHAP_C alone      | host1   | initiator-secret-16 | CHAP_C=0x0102                           | both CHAP_I and CHAP_C",
        "CHAP_I above 255  | host1   | initiator-secret-16 | CHAP_I=300;CHAP_C=0x0102                | malformed mutual",
        "CHAP_C not hex    | host1   | initiator-secret-16 | CHAP_I=3;CHAP_C=0xZZ                    | malformed mutual",
        "CHAP_C too long   | host1   | initiator-secret-16 | CHAP_I=3;CHAP_C=0x%2050s                | malformed mutual",
    })
    void badResponsesFailAuthentication(String what, String name, String secret, String extra, String reason)
            throws Exception {
        Initiator i = new Initiator();
        Map<String, String> c = challenge(i, TestTargets.MUTUAL, "5");
        byte[] response = chapResponse("MD5", Integer.parseInt(c.get("CHAP_I")),
                secret.getBytes(StandardCharsets.UTF_8), unhex(c.get("CHAP_C")));
        java.util.List<String> pairs = new java.util.ArrayList<>(java.util.List.of("CHAP_N=" + name, "CHAP_R=" + hex(response)));
        if (extra != null) {
            // 1025 bytes of challenge: one more than §12.1.3 allows.
            pairs.addAll(java.util.List.of(extra.replace("%2050s", "ab".repeat(1025)).split(";")));
        }
        LoginResponse r = i.send(SECURITY, OPERATIONAL, true, pairs.toArray(String[]::new));
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, r);
        assertTrue(i.login.failureReason().contains(reason), i.login.failureReason());
        assertFalse(i.login.isComplete());
    }

    @ParameterizedTest(name = "CHAP_R={0}")
    @CsvSource({"0x", "0xabc", "0bAAAA", "12345", "''", "0b!!!!", "Reject"})
    void malformedResponsesFailAuthentication(String value) {
        Initiator i = new Initiator();
        challenge(i, TestTargets.CHAP, "5");
        LoginResponse r = i.send(SECURITY, OPERATIONAL, true, "CHAP_N=host1", "CHAP_R=" + value);
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, r);
    }

    @Test
    void responseWithoutNameFails() throws Exception {
        Initiator i = new Initiator();
        Map<String, String> c = challenge(i, TestTargets.CHAP, "5");
        byte[] response = chapResponse("MD5", Integer.parseInt(c.get("CHAP_I")), SECRET, unhex(c.get("CHAP_C")));
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, i.send(SECURITY, OPERATIONAL, true, "CHAP_R=" + hex(response)));
    }

    @Test
    void unsupportedAlgorithmFails() {
        Initiator i = new Initiator();
        i.send(SECURITY, OPERATIONAL, true, "InitiatorName=" + TestTargets.INITIATOR,
                "TargetName=" + TestTargets.CHAP, "AuthMethod=CHAP");
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, i.send(SECURITY, OPERATIONAL, false, "CHAP_A=1,2,junk"));
    }

    @Test
    void chapKeysOutOfOrderFail() {
        Initiator i = new Initiator();
        i.send(SECURITY, OPERATIONAL, true, "InitiatorName=" + TestTargets.INITIATOR,
                "TargetName=" + TestTargets.CHAP, "AuthMethod=CHAP");
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, i.send(SECURITY, OPERATIONAL, true, "CHAP_N=host1", "CHAP_R=0x00"));
    }

    @Test
    void authMethodTwiceIsARenegotiation() {
        Initiator i = new Initiator();
        i.send(SECURITY, OPERATIONAL, false, "InitiatorName=" + TestTargets.INITIATOR,
                "TargetName=" + TestTargets.CHAP, "AuthMethod=CHAP");
        assertStatus(LoginStatus.INITIATOR_ERROR, i.send(SECURITY, OPERATIONAL, false, "AuthMethod=CHAP"));
    }

    @Test
    void targetWithChapRefusesAuthMethodNone() {
        Initiator i = new Initiator();
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, i.send(SECURITY, OPERATIONAL, true,
                "InitiatorName=" + TestTargets.INITIATOR, "TargetName=" + TestTargets.CHAP, "AuthMethod=None"));
    }

    @Test
    void targetWithChapRefusesSkippingTheSecurityStage() {
        Initiator i = new Initiator();
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, i.send(OPERATIONAL, FULL_FEATURE, true,
                libiscsiOperationalKeys(TestTargets.CHAP)));
    }

    @Test
    void targetWithChapRefusesLeavingSecurityWithoutAuthMethod() {
        Initiator i = new Initiator();
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, i.send(SECURITY, OPERATIONAL, true,
                "InitiatorName=" + TestTargets.INITIATOR, "TargetName=" + TestTargets.CHAP));
    }

    @Test
    void targetWithChapWaitsWhenTheInitiatorDoesNotTransit() {
        Initiator i = new Initiator();
        LoginResponse r = i.send(SECURITY, 0, false, "InitiatorName=" + TestTargets.INITIATOR, "TargetName=" + TestTargets.CHAP);
        assertStatus(LoginStatus.SUCCESS, r);
        assertFalse(r.transit());
        assertEquals(Map.of("TargetPortalGroupTag", "1"), answers(r));
    }

    @Test
    void openTargetPicksNoneFromChapNoneAndRefusesChapOnly() {
        Initiator i = new Initiator();
        LoginResponse r = i.send(SECURITY, OPERATIONAL, true, "InitiatorName=" + TestTargets.INITIATOR,
                "TargetName=" + TestTargets.OPEN, "AuthMethod=CHAP,None");
        assertStatus(LoginStatus.SUCCESS, r);
        assertEquals("None", answers(r).get("AuthMethod"));
        assertTrue(r.transit());

        Initiator j = new Initiator();
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, j.send(SECURITY, OPERATIONAL, true,
                "InitiatorName=" + TestTargets.INITIATOR, "TargetName=" + TestTargets.OPEN, "AuthMethod=CHAP"));
    }

    @Test
    void unsupportedMethodsAreSkippedInTheList() {
        Initiator i = new Initiator();
        LoginResponse r = i.send(SECURITY, OPERATIONAL, true, "InitiatorName=" + TestTargets.INITIATOR,
                "TargetName=" + TestTargets.CHAP, "AuthMethod=KRB5,SRP,CHAP");
        assertEquals("CHAP", answers(r).get("AuthMethod"));
    }

    @Test
    void discoveryChapComesFromTheLimits() throws Exception {
        TargetLimits limits = TargetLimits.defaults().withDiscoveryChap(TestTargets.secret("disc", "discovery-secret"));
        Initiator refused = new Initiator(TestTargets.standard(), limits);
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, refused.send(OPERATIONAL, FULL_FEATURE, true,
                "InitiatorName=" + TestTargets.INITIATOR, "SessionType=Discovery"));

        Initiator i = new Initiator(TestTargets.standard(), limits);
        LoginResponse r = i.send(SECURITY, OPERATIONAL, true, "InitiatorName=" + TestTargets.INITIATOR,
                "SessionType=Discovery", "AuthMethod=CHAP,None");
        assertEquals("CHAP", answers(r).get("AuthMethod"));
        Map<String, String> c = answers(i.send(SECURITY, OPERATIONAL, false, "CHAP_A=5"));
        byte[] response = chapResponse("MD5", Integer.parseInt(c.get("CHAP_I")),
                "discovery-secret".getBytes(StandardCharsets.UTF_8), unhex(c.get("CHAP_C")));
        assertStatus(LoginStatus.SUCCESS, i.send(SECURITY, FULL_FEATURE, true, "CHAP_N=disc", "CHAP_R=" + hex(response)));
        assertTrue(i.login.isComplete());
        assertEquals(SessionType.DISCOVERY, i.login.result().type());

        // Discovery open by default, even when targets need CHAP.
        Initiator open = new Initiator();
        assertStatus(LoginStatus.SUCCESS, open.send(SECURITY, FULL_FEATURE, true,
                "InitiatorName=" + TestTargets.INITIATOR, "SessionType=Discovery", "AuthMethod=None"));
    }

    @Test
    void secretsNeverPrint() {
        assertFalse(TestTargets.INITIATOR_SECRET.toString().contains("initiator-secret"));
        byte[] s = TestTargets.INITIATOR_SECRET.secret();
        s[0] ^= 1;
        assertNotEquals(s[0], TestTargets.INITIATOR_SECRET.secret()[0], "the record hands out copies");
    }
}
