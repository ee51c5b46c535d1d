package io.depot.iscsi.fabric.login;

import static io.depot.iscsi.fabric.login.Initiator.FULL_FEATURE;
import static io.depot.iscsi.fabric.login.Initiator.OPERATIONAL;
import static io.depot.iscsi.fabric.login.Initiator.SECURITY;
import static io.depot.iscsi.fabric.login.Initiator.answers;
import static io.depot.iscsi.fabric.login.Initiator.assertStatus;
import static io.depot.iscsi.fabric.login.Initiator.libiscsiOperationalKeys;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Whole logins: stages, T/C bits, session identity, refusals. CHAP has its own test class. */
class LoginConversationTest {

    @Test
    void libiscsiWithoutAuthenticationLogsInWithOneRequest() {
        Initiator i = new Initiator();
        LoginResponse r = i.send(OPERATIONAL, FULL_FEATURE, true, libiscsiOperationalKeys(TestTargets.OPEN));
        assertStatus(LoginStatus.SUCCESS, r);
        assertTrue(r.transit());
        assertFalse(r.cont());
        assertEquals(OPERATIONAL, r.csg());
        assertEquals(FULL_FEATURE, r.nsg());
        Map<String, String> a = answers(r);
        assertEquals("None", a.get("HeaderDigest"));
        assertEquals("None", a.get("DataDigest"));
        assertEquals("No", a.get("InitialR2T"));
        assertEquals("Yes", a.get("ImmediateData"));
        assertEquals("262144", a.get("MaxBurstLength"));
        assertEquals("262144", a.get("FirstBurstLength"));
        assertEquals("2", a.get("DefaultTime2Wait"));
        assertEquals("0", a.get("DefaultTime2Retain"));
        assertEquals("1", a.get("MaxOutstandingR2T"));
        assertEquals("0", a.get("ErrorRecoveryLevel"));
        assertEquals("No", a.get("IFMarker"));
        assertEquals("No", a.get("OFMarker"));
        assertEquals("1", a.get("MaxConnections"));
        assertEquals("Yes", a.get("DataPDUInOrder"));
        assertEquals("Yes", a.get("DataSequenceInOrder"));
        assertEquals("1", a.get("TargetPortalGroupTag"), "§13.9: TPGT in the first response");
        assertEquals("Depot open LUNs", a.get("TargetAlias"));
        assertEquals("262144", a.get("MaxRecvDataSegmentLength"), "we declare our receive limit");
        assertFalse(a.containsKey("InitiatorName"), "declaratives of the initiator are not answered");
        assertFalse(a.containsKey("TargetName"));

        assertTrue(i.login.isComplete());
        NegotiatedSession s = i.login.result();
        assertEquals(SessionType.NORMAL, s.type());
        assertEquals(TestTargets.INITIATOR, s.initiatorName());
        assertEquals(TestTargets.OPEN, s.targetName());
        assertEquals(i.isid, s.isid());
        assertEquals(new SessionParameters(1, false, true, 262144, 262144, 2, 0, 1, true, true, 0), s.session());
        assertEquals(new ConnectionParameters(Digest.NONE, Digest.NONE, 262144, 262144), s.connection());
    }

    @Test
    void openIscsiStyleSecurityStageWithoutAuthenticationThenOperational() {
        Initiator i = new Initiator();
        LoginResponse r = i.send(SECURITY, OPERATIONAL, true, "InitiatorName=" + TestTargets.INITIATOR,
                "InitiatorAlias=host1", "TargetName=" + TestTargets.OPEN, "SessionType=Normal", "AuthMethod=None");
        assertStatus(LoginStatus.SUCCESS, r);
        assertTrue(r.transit());
        assertEquals(SECURITY, r.csg());
        assertEquals(OPERATIONAL, r.nsg());
        Map<String, String> a = answers(r);
        assertEquals("None", a.get("AuthMethod"));
        assertEquals("1", a.get("TargetPortalGroupTag"));
        assertFalse(a.containsKey("MaxRecvDataSegmentLength"), "declared in the operational stage, not before");
        assertFalse(i.login.isComplete());

        r = i.send(OPERATIONAL, FULL_FEATURE, true, "HeaderDigest=CRC32C,None", "DataDigest=CRC32C,None",
                "MaxRecvDataSegmentLength=65536", "MaxBurstLength=16776192", "FirstBurstLength=262144",
                "MaxOutstandingR2T=1", "ImmediateData=Yes", "InitialR2T=Yes");
        assertStatus(LoginStatus.SUCCESS, r);
        assertTrue(r.transit());
        a = answers(r);
        assertEquals("CRC32C", a.get("HeaderDigest"));
        assertEquals("CRC32C", a.get("DataDigest"));
        assertEquals("1048576", a.get("MaxBurstLength"));
        assertEquals("262144", a.get("MaxRecvDataSegmentLength"));
        assertFalse(a.containsKey("TargetPortalGroupTag"), "TPGT only once");
        NegotiatedSession s = i.login.result();
        assertEquals("host1", s.initiatorAlias());
        assertEquals(new ConnectionParameters(Digest.CRC32C, Digest.CRC32C, 65536, 262144), s.connection());
        assertTrue(s.session().initialR2T());
        assertEquals(1048576, s.session().maxBurstLength());
    }

    @Test
    void securityStraightToFullFeatureKeepsEveryDefault() {
        Initiator i = new Initiator();
        LoginResponse r = i.send(SECURITY, FULL_FEATURE, true, "InitiatorName=" + TestTargets.INITIATOR,
                "TargetName=" + TestTargets.OPEN);
        assertStatus(LoginStatus.SUCCESS, r);
        assertTrue(r.transit());
        assertEquals(FULL_FEATURE, r.nsg());
        NegotiatedSession s = i.login.result();
        assertEquals(SessionParameters.DEFAULTS, s.session());
        assertEquals(new ConnectionParameters(Digest.NONE, Digest.NONE, 8192, 8192), s.connection(),
                "we never declared, so both sides use 8192");
    }

    @Test
    void discoverySessionNeedsNoTargetNameAndAnswersSessionKeysIrrelevant() {
        Initiator i = new Initiator();
        LoginResponse r = i.send(OPERATIONAL, FULL_FEATURE, true, "InitiatorName=" + TestTargets.INITIATOR,
                "SessionType=Discovery", "HeaderDigest=None", "MaxBurstLength=262144", "ImmediateData=Yes",
                "DefaultTime2Wait=2", "MaxRecvDataSegmentLength=32768");
        assertStatus(LoginStatus.SUCCESS, r);
        Map<String, String> a = answers(r);
        assertEquals("Irrelevant", a.get("MaxBurstLength"), "§13.13: irrelevant in discovery");
        assertEquals("Irrelevant", a.get("ImmediateData"));
        assertEquals("None", a.get("HeaderDigest"));
        assertEquals("2", a.get("DefaultTime2Wait"));
        assertFalse(a.containsKey("TargetAlias"));
        NegotiatedSession s = i.login.result();
        assertEquals(SessionType.DISCOVERY, s.type());
        assertNull(s.targetName());
        assertEquals(32768, s.connection().initiatorMaxRecvDataSegmentLength());
    }

    @Test
    void requestWithoutTransitGetsNoTransitThenEmptyTransitRequestFinishes() {
        Initiator i = new Initiator();
        LoginResponse r = i.send(OPERATIONAL, 0, false, "InitiatorName=" + TestTargets.INITIATOR,
                "TargetName=" + TestTargets.OPEN, "MaxBurstLength=65536");
        assertStatus(LoginStatus.SUCCESS, r);
        assertFalse(r.transit(), "§11.13.3: T=0 request, T=0 response");
        assertEquals("65536", answers(r).get("MaxBurstLength"));
        r = i.send(OPERATIONAL, FULL_FEATURE, true);
        assertStatus(LoginStatus.SUCCESS, r);
        assertTrue(r.transit());
        assertEquals(0, answers(r).size(), "nothing left to say");
        assertEquals(65536, i.login.result().session().maxBurstLength());
    }

    @Test
    void libiscsiRepeatsSessionKeysInLaterRequestsWithTheSameValues() {
        Initiator i = new Initiator();
        assertStatus(LoginStatus.SUCCESS, i.send(SECURITY, OPERATIONAL, true, "InitiatorName=" + TestTargets.INITIATOR,
                "TargetName=" + TestTargets.OPEN, "SessionType=Normal", "AuthMethod=None"));
        assertStatus(LoginStatus.SUCCESS, i.send(OPERATIONAL, FULL_FEATURE, true, libiscsiOperationalKeys(TestTargets.OPEN)));
        assertTrue(i.login.isComplete());
    }

    @Test
    void changingASessionKeyMidLoginFails() {
        Initiator i = new Initiator();
        i.send(SECURITY, OPERATIONAL, true, "InitiatorName=" + TestTargets.INITIATOR, "TargetName=" + TestTargets.OPEN);
        assertStatus(LoginStatus.INITIATOR_ERROR, i.send(OPERATIONAL, FULL_FEATURE, true, "TargetName=" + TestTargets.CHAP));
    }

    static Stream<Arguments> refusals() {
        String me = "InitiatorName=" + TestTargets.INITIATOR;
        return Stream.of(
                Arguments.of("no InitiatorName", LoginStatus.MISSING_PARAMETER, new String[] {"TargetName=" + TestTargets.OPEN}),
                Arguments.of("empty InitiatorName", LoginStatus.MISSING_PARAMETER, new String[] {"InitiatorName=", "TargetName=" + TestTargets.OPEN}),
                Arguments.of("no TargetName", LoginStatus.MISSING_PARAMETER, new String[] {me}),
                Arguments.of("no TargetName, explicit Normal", LoginStatus.MISSING_PARAMETER, new String[] {me, "SessionType=Normal"}),
                Arguments.of("unknown target", LoginStatus.NOT_FOUND, new String[] {me, "TargetName=iqn.2026-01.io.depot:nope"}),
                Arguments.of("ACL", LoginStatus.AUTHORIZATION_FAILURE, new String[] {me, "TargetName=" + TestTargets.PRIVATE}),
                Arguments.of("bad SessionType", LoginStatus.SESSION_TYPE_NOT_SUPPORTED, new String[] {me, "SessionType=Bogus"}),
                Arguments.of("InitiatorName too long", LoginStatus.INITIATOR_ERROR, new String[] {"InitiatorName=iqn." + "a".repeat(230), "TargetName=" + TestTargets.OPEN}),
                Arguments.of("InitiatorName not an iSCSI name", LoginStatus.INITIATOR_ERROR, new String[] {"InitiatorName=Reject", "TargetName=" + TestTargets.OPEN}),
                Arguments.of("EUI InitiatorName", LoginStatus.SUCCESS, new String[] {"InitiatorName=eui.02004567A425678D", "TargetName=" + TestTargets.OPEN}),
                Arguments.of("TargetName too long", LoginStatus.NOT_FOUND, new String[] {me, "TargetName=iqn." + "a".repeat(230)}),
                Arguments.of("target-only key", LoginStatus.INITIATOR_ERROR, new String[] {me, "TargetName=" + TestTargets.OPEN, "TargetPortalGroupTag=1"}),
                Arguments.of("key twice in one text", LoginStatus.INITIATOR_ERROR, new String[] {me, "TargetName=" + TestTargets.OPEN, "MaxBurstLength=512", "MaxBurstLength=1024"}),
                Arguments.of("security key in operational stage", LoginStatus.INITIATOR_ERROR, new String[] {me, "TargetName=" + TestTargets.OPEN, "AuthMethod=None"}),
                Arguments.of("bad MaxRecvDataSegmentLength", LoginStatus.INITIATOR_ERROR, new String[] {me, "TargetName=" + TestTargets.OPEN, "MaxRecvDataSegmentLength=100"}),
                Arguments.of("MaxRecvDataSegmentLength not a number", LoginStatus.INITIATOR_ERROR, new String[] {me, "TargetName=" + TestTargets.OPEN, "MaxRecvDataSegmentLength=lots"}),
                Arguments.of("MaxRecvDataSegmentLength above 2^24-1", LoginStatus.INITIATOR_ERROR, new String[] {me, "TargetName=" + TestTargets.OPEN, "MaxRecvDataSegmentLength=16777216"}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void firstRequestIsCheckedInTheOperationalStage(String what, LoginStatus expected, String[] pairs) {
        Initiator i = new Initiator();
        assertStatus(expected, i.send(OPERATIONAL, FULL_FEATURE, true, pairs));
        if (expected == LoginStatus.SUCCESS) {
            assertTrue(i.login.isComplete());
            return;
        }
        assertTrue(i.login.isFailed());
        assertFalse(i.login.isComplete());
        assertEquals(expected, i.login.failureStatus());
        assertTrue(i.login.failureReason() != null && !i.login.failureReason().isEmpty());
    }

    @Test
    void operationalKeysInTheSecurityStageAreRefused() {
        Initiator i = new Initiator();
        assertStatus(LoginStatus.INITIATOR_ERROR, i.send(SECURITY, OPERATIONAL, true, "InitiatorName=" + TestTargets.INITIATOR,
                "TargetName=" + TestTargets.OPEN, "AuthMethod=None", "HeaderDigest=None"));
    }

    @Test
    void renegotiatingAKeyInALaterRequestFails() {
        Initiator i = new Initiator();
        i.send(OPERATIONAL, 0, false, "InitiatorName=" + TestTargets.INITIATOR, "TargetName=" + TestTargets.OPEN, "HeaderDigest=None");
        assertStatus(LoginStatus.INITIATOR_ERROR, i.send(OPERATIONAL, FULL_FEATURE, true, "HeaderDigest=CRC32C"));
    }

    static Stream<Arguments> badHeaders() {
        return Stream.of(
                Arguments.of("Version-min 1", LoginStatus.UNSUPPORTED_VERSION, req(true, false, 1, 3, 1, 1)),
                Arguments.of("T and C", LoginStatus.INITIATOR_ERROR, req(true, true, 1, 3, 0, 0)),
                Arguments.of("CSG 3", LoginStatus.INITIATOR_ERROR, req(false, false, 3, 0, 0, 0)),
                Arguments.of("CSG 2", LoginStatus.INITIATOR_ERROR, req(false, false, 2, 0, 0, 0)),
                Arguments.of("NSG 2", LoginStatus.INITIATOR_ERROR, req(true, false, 1, 2, 0, 0)),
                Arguments.of("NSG backwards", LoginStatus.INITIATOR_ERROR, req(true, false, 1, 0, 0, 0)),
                Arguments.of("NSG = CSG", LoginStatus.INITIATOR_ERROR, req(true, false, 1, 1, 0, 0)),
                Arguments.of("CSG out of range", LoginStatus.INITIATOR_ERROR, req(false, false, 7, 0, 0, 0)),
                Arguments.of("negative CSG", LoginStatus.INITIATOR_ERROR, req(false, false, -1, 0, 0, 0)));
    }

    private static LoginRequest req(boolean t, boolean c, int csg, int nsg, int vmax, int vmin) {
        return new LoginRequest(t, c, csg, nsg, vmax, vmin, 1, 0, 0,
                Initiator.text("InitiatorName=" + TestTargets.INITIATOR, "TargetName=" + TestTargets.OPEN));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badHeaders")
    void badHeaderFieldsFailTheLogin(String what, LoginStatus expected, LoginRequest request) {
        Initiator i = new Initiator();
        assertStatus(expected, i.send(request));
    }

    @Test
    void versionMaxAboveZeroIsFineWhenMinIsZero() {
        Initiator i = new Initiator();
        LoginResponse r = i.send(new LoginRequest(true, false, 1, 3, 5, 0, 1, 0, 0,
                Initiator.text("InitiatorName=" + TestTargets.INITIATOR, "TargetName=" + TestTargets.OPEN)));
        assertStatus(LoginStatus.SUCCESS, r);
    }

    @Test
    void identityFieldsMustNotChangeDuringLogin() {
        for (int field = 0; field < 4; field++) {
            Initiator i = new Initiator();
            i.send(OPERATIONAL, 0, false, "InitiatorName=" + TestTargets.INITIATOR, "TargetName=" + TestTargets.OPEN);
            LoginRequest next = new LoginRequest(true, false, 1, 3, field == 3 ? 1 : 0, 0,
                    field == 0 ? i.isid + 1 : i.isid, field == 1 ? 7 : i.tsih, field == 2 ? 9 : i.cid, null);
            assertStatus(LoginStatus.INITIATOR_ERROR, i.send(next));
        }
    }

    @Test
    void stageMustMatchTheLoginsCurrentStage() {
        Initiator i = new Initiator();
        i.send(SECURITY, OPERATIONAL, true, "InitiatorName=" + TestTargets.INITIATOR, "TargetName=" + TestTargets.OPEN);
        assertStatus(LoginStatus.INITIATOR_ERROR, i.send(SECURITY, OPERATIONAL, true));
    }

    @Test
    void continuedRequestIsAcknowledgedEmptyAndMayCutAnywhere() {
        byte[] whole = Initiator.text(libiscsiOperationalKeys(TestTargets.OPEN));
        // Cut inside a key name, inside a value, and right after a NUL.
        int[] cuts = {5, 60, indexAfterNul(whole, 3), whole.length};
        Initiator i = new Initiator();
        int from = 0;
        LoginResponse r = null;
        for (int k = 0; k < cuts.length; k++) {
            boolean last = k == cuts.length - 1;
            byte[] piece = java.util.Arrays.copyOfRange(whole, from, cuts[k]);
            r = i.send(new LoginRequest(last, !last, 1, last ? 3 : 0, 0, 0, i.isid, 0, 0, piece));
            assertStatus(LoginStatus.SUCCESS, r);
            if (!last) {
                assertFalse(r.transit(), "§11.13: a continued request gets T=0");
                assertFalse(r.cont());
                assertEquals(0, r.data().length, "and an empty response");
            }
            from = cuts[k];
        }
        assertTrue(r.transit());
        assertEquals("262144", answers(r).get("MaxBurstLength"));
        assertTrue(i.login.isComplete());
    }

    private static int indexAfterNul(byte[] text, int nth) {
        int seen = 0;
        for (int k = 0; k < text.length; k++) {
            if (text[k] == 0 && ++seen == nth) {
                return k + 1;
            }
        }
        throw new AssertionError();
    }

    @Test
    void continuedTextBeyond64KiBFails() {
        Initiator i = new Initiator();
        byte[] chunk = new byte[8192];
        java.util.Arrays.fill(chunk, (byte) 'A');
        LoginResponse r = null;
        for (int k = 0; k < 9; k++) {
            r = i.send(new LoginRequest(false, true, 1, 0, 0, 0, i.isid, 0, 0, chunk));
            if (k < 8) {
                assertStatus(LoginStatus.SUCCESS, r);
            }
        }
        assertStatus(LoginStatus.INITIATOR_ERROR, r);
    }

    @Test
    void longAnswersAreSentInPiecesTheInitiatorPullsWithEmptyRequests() {
        List<String> pairs = new ArrayList<>(List.of("InitiatorName=" + TestTargets.INITIATOR, "TargetName=" + TestTargets.OPEN));
        for (int k = 0; k < 500; k++) {
            pairs.add(String.format("UnknownKey%04d=1", k));
        }
        Initiator i = new Initiator();
        LoginResponse r = i.send(OPERATIONAL, FULL_FEATURE, true, pairs.toArray(String[]::new));
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        int pieces = 0;
        while (true) {
            assertStatus(LoginStatus.SUCCESS, r);
            assertTrue(r.data().length <= 8192, "§13.12: login PDUs carry at most 8192 bytes");
            all.writeBytes(r.data());
            pieces++;
            if (!r.cont()) {
                break;
            }
            assertFalse(r.transit(), "C=1 responses have T=0");
            assertFalse(i.login.isComplete(), "not complete before the last piece");
            r = i.send(OPERATIONAL, FULL_FEATURE, true);
        }
        assertTrue(pieces >= 2);
        assertTrue(r.transit(), "the last piece carries the transit");
        assertEquals(FULL_FEATURE, r.nsg());
        assertTrue(i.login.isComplete());
        Map<String, String> a = answers(all.toByteArray());
        for (int k = 0; k < 500; k++) {
            assertEquals("NotUnderstood", a.get(String.format("UnknownKey%04d", k)));
        }
    }

    @Test
    void sendingTextWhileOurTextContinuesFails() {
        List<String> pairs = new ArrayList<>(List.of("InitiatorName=" + TestTargets.INITIATOR, "TargetName=" + TestTargets.OPEN));
        for (int k = 0; k < 500; k++) {
            pairs.add(String.format("UnknownKey%04d=1", k));
        }
        Initiator i = new Initiator();
        assertTrue(i.send(OPERATIONAL, FULL_FEATURE, true, pairs.toArray(String[]::new)).cont());
        assertStatus(LoginStatus.INITIATOR_ERROR, i.send(OPERATIONAL, FULL_FEATURE, true, "HeaderDigest=None"));
    }

    @Test
    void afterFailureEveryRequestGetsTheSameFailure() {
        Initiator i = new Initiator();
        assertStatus(LoginStatus.NOT_FOUND, i.send(OPERATIONAL, FULL_FEATURE, true,
                "InitiatorName=" + TestTargets.INITIATOR, "TargetName=iqn.x:none"));
        assertStatus(LoginStatus.NOT_FOUND, i.send(OPERATIONAL, FULL_FEATURE, true, libiscsiOperationalKeys(TestTargets.OPEN)));
    }

    @Test
    void aLoginRequestAfterCompletionIsAnError() {
        Initiator i = new Initiator();
        i.send(OPERATIONAL, FULL_FEATURE, true, libiscsiOperationalKeys(TestTargets.OPEN));
        assertTrue(i.login.isComplete());
        assertStatus(LoginStatus.INITIATOR_ERROR, i.login.handle(new LoginRequest(true, false, 1, 3, 0, 0, i.isid, 0, 0, null)));
        assertStatus(LoginStatus.INITIATOR_ERROR, i.login.handle(null));
    }

    @Test
    void resultBeforeCompletionIsAProgrammingError() {
        assertThrows(IllegalStateException.class, () -> new Initiator().login.result());
    }

    @Test
    void nonLeadingConnectionAnswersLeadingOnlyKeysIrrelevant() {
        Initiator i = new Initiator();
        i.tsih = 5;
        i.cid = 2;
        LoginResponse r = i.send(OPERATIONAL, FULL_FEATURE, true, libiscsiOperationalKeys(TestTargets.OPEN));
        assertStatus(LoginStatus.SUCCESS, r);
        Map<String, String> a = answers(r);
        assertEquals("Irrelevant", a.get("MaxBurstLength"));
        assertEquals("Irrelevant", a.get("MaxConnections"));
        assertEquals("None", a.get("HeaderDigest"), "connection keys are negotiated per connection");
        NegotiatedSession s = i.login.result();
        assertEquals(5, s.tsih());
        assertEquals(2, s.cid());
        assertEquals(262144, s.connection().initiatorMaxRecvDataSegmentLength());
    }

    @Test
    void answersToOurDeclarationsAndReservedValuesAreNotAnswered() {
        Initiator i = new Initiator();
        LoginResponse r = i.send(OPERATIONAL, FULL_FEATURE, true, "InitiatorName=" + TestTargets.INITIATOR,
                "TargetName=" + TestTargets.OPEN, "X-vendor.Thing=NotUnderstood", "HeaderDigest=Reject");
        assertStatus(LoginStatus.SUCCESS, r);
        Map<String, String> a = answers(r);
        assertFalse(a.containsKey("X-vendor.Thing"));
        assertFalse(a.containsKey("HeaderDigest"));
        assertEquals(Digest.NONE, i.login.result().connection().headerDigest());
    }

    @Test
    void limitsBelowTheRfcDefaultsAreRefusedAtConstruction() {
        assertThrows(IllegalArgumentException.class, () -> new TargetLimits(8192, 65536, 65536, 1, 1, null));
        assertThrows(IllegalArgumentException.class, () -> new TargetLimits(8192, 262144, 524288, 1, 1, null));
        assertThrows(IllegalArgumentException.class, () -> new TargetLimits(100, 262144, 65536, 1, 1, null));
        assertThrows(IllegalArgumentException.class, () -> new LoginNegotiation(TestTargets.standard(),
                TargetLimits.defaults(), 70000, new java.security.SecureRandom()));
    }

    @Test
    void responsesOfAFailureCarryTheStatusPairOfRfc7143() {
        assertArrayEquals(new int[] {2, 1}, new int[] {LoginStatus.AUTHENTICATION_FAILURE.statusClass(),
                LoginStatus.AUTHENTICATION_FAILURE.statusDetail()});
        assertEquals(LoginStatus.MISSING_PARAMETER, LoginStatus.of(2, 7));
        assertEquals(LoginStatus.UNSUPPORTED_VERSION, LoginStatus.of(2, 5));
        assertNull(LoginStatus.of(9, 9));
    }
}
