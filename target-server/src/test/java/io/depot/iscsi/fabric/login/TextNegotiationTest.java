package io.depot.iscsi.fabric.login;

import static io.depot.iscsi.fabric.login.Initiator.pairs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Full-feature-phase text: SendTargets (RFC 7143 Appendix C) and keys we do not renegotiate. */
class TextNegotiationTest {
    private final TestTargets catalog = TestTargets.standard();

    private List<KeyValue> ask(SessionType type, String sessionTarget, String initiator, String... request) {
        TextNegotiation.Answer a = TextNegotiation.answer(Initiator.text(request), catalog, type, sessionTarget, initiator);
        assertFalse(a.malformed());
        return pairs(a.data());
    }

    private static KeyValue kv(String k, String v) {
        return new KeyValue(k, v);
    }

    @Test
    void sendTargetsAllInDiscoveryListsEveryTargetTheInitiatorMaySee() {
        assertEquals(List.of(
                kv("TargetName", TestTargets.OPEN), kv("TargetAddress", "127.0.0.1:3260,1"), kv("TargetAddress", "[::1]:3260,1"),
                kv("TargetName", TestTargets.CHAP), kv("TargetAddress", "127.0.0.1:3260,1"),
                kv("TargetName", TestTargets.MUTUAL), kv("TargetAddress", "127.0.0.1:3260,1")),
                ask(SessionType.DISCOVERY, null, TestTargets.INITIATOR, "SendTargets=All"));
        List<KeyValue> other = ask(SessionType.DISCOVERY, null, TestTargets.OTHER_INITIATOR, "SendTargets=All");
        assertTrue(other.contains(kv("TargetName", TestTargets.PRIVATE)), "the ACL admits this one");
    }

    @Test
    void sendTargetsAllInANormalSessionListsOnlyTheSessionsTarget() {
        assertEquals(List.of(kv("TargetName", TestTargets.CHAP), kv("TargetAddress", "127.0.0.1:3260,1")),
                ask(SessionType.NORMAL, TestTargets.CHAP, TestTargets.INITIATOR, "SendTargets=All"));
        assertEquals(List.of(kv("TargetName", TestTargets.CHAP), kv("TargetAddress", "127.0.0.1:3260,1")),
                ask(SessionType.NORMAL, TestTargets.CHAP, TestTargets.INITIATOR, "SendTargets="));
    }

    @Test
    void sendTargetsByName() {
        assertEquals(List.of(kv("TargetName", TestTargets.MUTUAL), kv("TargetAddress", "127.0.0.1:3260,1")),
                ask(SessionType.DISCOVERY, null, TestTargets.INITIATOR, "SendTargets=" + TestTargets.MUTUAL));
        assertEquals(List.of(), ask(SessionType.DISCOVERY, null, TestTargets.INITIATOR, "SendTargets=" + TestTargets.PRIVATE),
                "hidden by the ACL");
        assertEquals(List.of(), ask(SessionType.DISCOVERY, null, TestTargets.INITIATOR, "SendTargets=iqn.nobody"));
        assertEquals(List.of(), ask(SessionType.DISCOVERY, null, TestTargets.INITIATOR, "SendTargets="));
        assertEquals(List.of(), ask(SessionType.NORMAL, TestTargets.CHAP, TestTargets.INITIATOR, "SendTargets=" + TestTargets.OPEN),
                "a normal session sees only its own target");
    }

    @Test
    void otherKeysAreNotRenegotiated() {
        assertEquals(List.of(kv("MaxBurstLength", "Reject"), kv("HeaderDigest", "Reject"), kv("X-vendor.Key", "NotUnderstood"),
                kv("Unknown", "NotUnderstood")),
                ask(SessionType.NORMAL, TestTargets.OPEN, TestTargets.INITIATOR,
                        "MaxBurstLength=512", "HeaderDigest=None", "X-vendor.Key=1", "Unknown=2", "Echo=NotUnderstood"));
    }

    @Test
    void malformedTextIsFlaggedForAReject() {
        TextNegotiation.Answer a = TextNegotiation.answer(new byte[] {'S', 'e', 'n', 'd'}, catalog, SessionType.DISCOVERY,
                null, TestTargets.INITIATOR);
        assertTrue(a.malformed());
        assertArrayEquals(new byte[0], TextNegotiation.respond(new byte[] {'x'}, catalog, SessionType.DISCOVERY, null,
                TestTargets.INITIATOR));
    }

    @Test
    void longAnswersSplitIntoPiecesAndReassemble() {
        TestTargets many = new TestTargets();
        for (int k = 0; k < 300; k++) {
            many.add(new TestTargets.Target("iqn.2026-01.io.depot:volume-" + k, null, java.util.Set.of(), null, null,
                    List.of("192.168.10.10:3260,1", "192.168.20.10:3260,2")));
        }
        byte[] whole = TextNegotiation.respond(Initiator.text("SendTargets=All"), many, SessionType.DISCOVERY, null,
                TestTargets.INITIATOR);
        assertTrue(whole.length > 8192);
        TextChunker chunker = new TextChunker(whole, 8192);
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        List<Integer> sizes = new ArrayList<>();
        do {
            byte[] piece = chunker.next();
            sizes.add(piece.length);
            joined.writeBytes(piece);
        } while (chunker.hasMore());
        assertTrue(sizes.stream().allMatch(s -> s <= 8192));
        assertEquals(8192, sizes.get(0));
        assertArrayEquals(whole, joined.toByteArray());
        assertEquals(300 * 3, pairs(joined.toByteArray()).size());
    }

    @Test
    void accumulatorJoinsContinuedRequestsUpToItsBound() {
        TextAccumulator acc = new TextAccumulator();
        assertTrue(acc.isEmpty());
        assertTrue(acc.append("SendTar".getBytes()));
        assertTrue(acc.append(null));
        assertTrue(acc.append("gets=All\0".getBytes()));
        assertEquals(List.of(kv("SendTargets", "All")), pairs(acc.drain()));
        assertTrue(acc.isEmpty());
        assertTrue(acc.append(new byte[TextAccumulator.MAX_TEXT_LENGTH]));
        assertFalse(acc.append(new byte[1]));
    }
}
