package io.depot.iscsi.fabric.login;

import java.util.ArrayList;
import java.util.List;

/**
 * Answers the text of a full-feature-phase Text Request (RFC 7143 §11.10, Appendix C SendTargets).
 *
 * <p>SendTargets=All in a discovery session lists every target the initiator may see (its ACL
 * admits it), each as TargetName followed by its TargetAddress values; in a normal session it lists
 * only the session's target. SendTargets=&lt;name&gt; lists that target when the initiator may see it
 * (in a normal session: only the session's own); an empty value means the session's target.
 *
 * <p>We renegotiate nothing after login: operational keys get {@code Reject}, unknown and private
 * (X-, X#) keys {@code NotUnderstood}. The fabric gathers C=1 requests first (see
 * {@link TextAccumulator}) and cuts long answers to the initiator's MaxRecvDataSegmentLength
 * (see {@link TextChunker}).
 */
public final class TextNegotiation {
    private TextNegotiation() {}

    /**
     * The answer to one complete request text.
     *
     * @param malformed the request text broke §6.1: the fabric answers with a Reject PDU
     *     (reason "protocol error") instead of a Text Response
     * @param data the Text Response data when well formed
     */
    public record Answer(boolean malformed, byte[] data) {}

    /** The response text; empty for malformed input (use {@link #answer} to tell the two apart). */
    public static byte[] respond(byte[] requestText, TargetCatalog catalog, SessionType type, String sessionTarget,
                                 String initiatorName) {
        return answer(requestText, catalog, type, sessionTarget, initiatorName).data();
    }

    public static Answer answer(byte[] requestText, TargetCatalog catalog, SessionType type, String sessionTarget,
                                String initiatorName) {
        if (!(TextCodec.decode(requestText) instanceof TextCodec.Parsed parsed)) {
            return new Answer(true, new byte[0]);
        }
        List<KeyValue> answers = new ArrayList<>();
        for (KeyValue pair : parsed.pairs()) {
            String key = pair.key();
            if (key.equals("SendTargets")) {
                sendTargets(pair.value(), catalog, type, sessionTarget, initiatorName, answers);
            } else if (isKnownLoginKey(key)) {
                answers.add(new KeyValue(key, "Reject"));
            } else if (!isAnswer(pair.value())) {
                answers.add(new KeyValue(key, "NotUnderstood"));
            }
        }
        return new Answer(false, TextCodec.encode(answers));
    }

    private static void sendTargets(String value, TargetCatalog catalog, SessionType type, String sessionTarget,
                                    String initiatorName, List<KeyValue> answers) {
        boolean discovery = type == SessionType.DISCOVERY;
        if (value.equals("All") && discovery) {
            for (TargetEntry target : catalog.all()) {
                if (target.allowsInitiator(initiatorName)) {
                    describe(target, answers);
                }
            }
            return;
        }
        String wanted = value.equals("All") || value.isEmpty() ? sessionTarget : value;
        if (wanted == null || (!discovery && !wanted.equals(sessionTarget))) {
            return;
        }
        TargetEntry target = catalog.find(wanted);
        if (target != null && target.allowsInitiator(initiatorName)) {
            describe(target, answers);
        }
    }

    private static void describe(TargetEntry target, List<KeyValue> answers) {
        answers.add(new KeyValue("TargetName", target.name()));
        for (String portal : target.portals()) {
            answers.add(new KeyValue("TargetAddress", portal));
        }
    }

    private static boolean isKnownLoginKey(String key) {
        return ChapAuthenticator.isSecurityKey(key)
                || OperationalNegotiator.isOperationalKey(key)
                || switch (key) {
                    case "InitiatorName", "InitiatorAlias", "TargetName", "SessionType", "TargetAlias",
                            "TargetAddress", "TargetPortalGroupTag" -> true;
                    default -> false;
                };
    }

    private static boolean isAnswer(String value) {
        return value.equals("Reject") || value.equals("Irrelevant") || value.equals("NotUnderstood");
    }
}
