package io.depot.iscsi.fabric.login;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random and mutated Login Requests: whatever arrives, {@link LoginNegotiation#handle} answers with
 * a response that obeys §11.13 and never throws. Seeds are fixed, so a failure replays.
 */
class LoginFuzzTest {
    private static final List<String> KEYS = List.of("InitiatorName", "TargetName", "SessionType", "AuthMethod", "CHAP_A",
            "CHAP_N", "CHAP_R", "CHAP_I", "CHAP_C", "HeaderDigest", "DataDigest", "MaxBurstLength", "FirstBurstLength",
            "MaxRecvDataSegmentLength", "InitialR2T", "ImmediateData", "ErrorRecoveryLevel", "X-a", "TargetAlias",
            "SendTargets", "OFMarkInt", "InitiatorAlias");
    private static final List<String> VALUES = List.of("", "None", "CHAP", "CHAP,None", "5", "7,5", "0x00", "0b", "Yes",
            "No", "Reject", "Irrelevant", "NotUnderstood", "Discovery", "Normal", TestTargets.INITIATOR, TestTargets.OPEN,
            TestTargets.CHAP, TestTargets.MUTUAL, "65536", "16777216", "-1", "0xffffffffffffffffff", "a".repeat(300));

    /** Checks the §11.13 rules on one exchange and returns whether the login is over. */
    private static boolean check(LoginNegotiation login, LoginRequest request, LoginResponse response, boolean wasFailed) {
        assertNotNull(response);
        int sc = response.statusClass();
        // Class 3 (target error) would mean an internal exception was caught: a bug.
        assertTrue(sc == 0 || sc == 2, "status class " + sc + ": " + login.failureReason());
        assertEquals(sc != 0, login.isFailed());
        if (wasFailed) {
            assertTrue(login.isFailed(), "a failed login stays failed");
        }
        if (sc != 0) {
            assertFalse(response.transit());
            return true;
        }
        assertTrue(response.data().length <= 8192);
        if (response.transit()) {
            assertTrue(request.transit(), "§11.13: T=1 only when the initiator asked");
            assertEquals(request.nsg(), response.nsg());
        }
        if (response.cont()) {
            assertFalse(response.transit(), "C=1 implies T=0");
        }
        assertTrue(TextCodec.decode(response.data()) instanceof TextCodec.Parsed || response.cont(),
                "our own text is well formed");
        if (login.isComplete()) {
            assertTrue(response.transit());
            assertEquals(3, response.nsg());
            assertNotNull(login.result());
            return true;
        }
        return false;
    }

    @Test
    void randomKeyValueConversations() {
        Random random = new Random(20260101);
        int completed = 0;
        int failed = 0;
        for (int conversation = 0; conversation < 3000; conversation++) {
            LoginNegotiation login = new LoginNegotiation(TestTargets.standard(), TargetLimits.defaults(), 1, new SecureRandom());
            for (int step = 0; step < 6; step++) {
                StringBuilder text = new StringBuilder();
                int n = random.nextInt(6);
                for (int k = 0; k < n; k++) {
                    text.append(KEYS.get(random.nextInt(KEYS.size()))).append('=')
                            .append(VALUES.get(random.nextInt(VALUES.size()))).append('\0');
                }
                if (step == 0 && random.nextInt(3) > 0) {
                    text.append("InitiatorName=").append(TestTargets.INITIATOR).append('\0')
                            .append("TargetName=").append(TestTargets.OPEN).append('\0');
                }
                LoginRequest request = new LoginRequest(random.nextInt(4) > 0, random.nextInt(8) == 0,
                        random.nextInt(2), random.nextInt(4), random.nextInt(3) == 0 ? 1 : 0, random.nextInt(20) == 0 ? 1 : 0,
                        1, 0, 0, text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                boolean wasFailed = login.isFailed();
                if (check(login, request, login.handle(request), wasFailed)) {
                    if (login.isComplete()) {
                        completed++;
                    } else {
                        failed++;
                    }
                    break;
                }
            }
        }
        assertTrue(completed > 50 && failed > 50, "the fuzz reached both ends: " + completed + " / " + failed);
    }

    @Test
    void randomBytesAndHeaderFields() {
        Random random = new Random(7143);
        for (int conversation = 0; conversation < 3000; conversation++) {
            LoginNegotiation login = new LoginNegotiation(TestTargets.standard(), TargetLimits.defaults(), 1, new SecureRandom());
            for (int step = 0; step < 4; step++) {
                byte[] data = random.nextInt(5) == 0 ? null : new byte[random.nextInt(400)];
                if (data != null) {
                    random.nextBytes(data);
                }
                LoginRequest request = new LoginRequest(random.nextBoolean(), random.nextBoolean(), random.nextInt(6) - 1,
                        random.nextInt(6) - 1, random.nextInt(256), random.nextInt(3), random.nextLong(),
                        random.nextInt(65536), random.nextInt(65536), data);
                boolean wasFailed = login.isFailed();
                if (check(login, request, login.handle(request), wasFailed)) {
                    break;
                }
            }
        }
    }

    @Test
    void mutatedChapConversations() throws Exception {
        Random random = new Random(1994);
        int failures = 0;
        for (int round = 0; round < 2000; round++) {
            Initiator i = new Initiator();
            byte[][] texts = {
                Initiator.text("InitiatorName=" + TestTargets.INITIATOR, "TargetName=" + TestTargets.MUTUAL, "AuthMethod=CHAP,None"),
                Initiator.text("CHAP_A=5"),
                null,
                Initiator.text(Initiator.libiscsiOperationalKeys(TestTargets.MUTUAL)),
            };
            int[][] stages = {{0, 1, 1}, {0, 1, 0}, {0, 1, 1}, {1, 3, 1}};
            java.util.Map<String, String> last = java.util.Map.of();
            for (int step = 0; step < texts.length; step++) {
                byte[] text = texts[step];
                if (text == null) {
                    byte[] challenge = Initiator.unhex(last.getOrDefault("CHAP_C", "0x00"));
                    int id = Integer.parseInt(last.getOrDefault("CHAP_I", "0"));
                    byte[] response = Initiator.chapResponse("MD5", id, TestTargets.INITIATOR_SECRET.secret(), challenge);
                    text = Initiator.text("CHAP_N=host1", "CHAP_R=" + Initiator.hex(response), "CHAP_I=9",
                            "CHAP_C=0x00112233445566778899aabbccddeeff");
                }
                text = text.clone();
                if (random.nextInt(3) == 0) {
                    for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
                        text[random.nextInt(text.length)] = (byte) random.nextInt(256);
                    }
                }
                LoginRequest request = new LoginRequest(stages[step][2] == 1, false, stages[step][0], stages[step][1],
                        0, 0, i.isid, 0, 0, text);
                LoginResponse response = i.login.handle(request);
                if (check(i.login, request, response, false)) {
                    if (!i.login.isComplete()) {
                        failures++;
                    }
                    break;
                }
                if (response.isSuccess() && TextCodec.decode(response.data()) instanceof TextCodec.Parsed p) {
                    java.util.Map<String, String> m = new java.util.HashMap<>();
                    p.pairs().forEach(kv -> m.put(kv.key(), kv.value()));
                    if (m.containsKey("CHAP_C")) {
                        last = m;
                    }
                }
            }
        }
        assertTrue(failures > 100, "mutations broke logins: " + failures);
    }
}
