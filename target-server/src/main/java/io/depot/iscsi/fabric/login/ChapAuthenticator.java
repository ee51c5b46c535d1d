package io.depot.iscsi.fabric.login;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;

/**
 * The target side of the security stage (RFC 7143 §12.1, §12.1.3 CHAP):
 *
 * <pre>
 *   I: AuthMethod=CHAP,None      T: AuthMethod=CHAP
 *   I: CHAP_A=7,5                T: CHAP_A=7 CHAP_I=&lt;id&gt; CHAP_C=&lt;challenge&gt;
 *   I: CHAP_N, CHAP_R [CHAP_I, CHAP_C for mutual]
 *                                T: [CHAP_N, CHAP_R when mutual]  (transit allowed from here)
 * </pre>
 *
 * Keys are offered one by one in the order received; {@link #endOfText} runs the verification once
 * a whole text has been seen, since CHAP_N, CHAP_R, CHAP_I and CHAP_C arrive together. Every
 * failure is {@link LoginStatus#AUTHENTICATION_FAILURE}, except renegotiating AuthMethod.
 */
final class ChapAuthenticator {
    /** RFC 7143 §12.1.3: CHAP_C and CHAP_R binary values are at most 1024 bytes. */
    static final int MAX_BINARY_LENGTH = 1024;

    private enum State { AWAIT_METHOD, AWAIT_ALGORITHM, CHALLENGED, AUTHENTICATED, NO_AUTHENTICATION }

    private final ChapSecret expected;
    private final ChapSecret mutual;
    private final SecureRandom random;
    private State state = State.AWAIT_METHOD;
    private ChapAlgorithm algorithm;
    private int identifier;
    private byte[] challenge;
    // What the current text carried; checked together at its end.
    private String name;
    private String response;
    private String mutualIdentifier;
    private String mutualChallenge;

    /**
     * @param expected the secret the initiator must prove, null when no authentication is required
     * @param mutual the secret we prove on request, null when we cannot
     */
    ChapAuthenticator(ChapSecret expected, ChapSecret mutual, SecureRandom random) {
        this.expected = expected;
        this.mutual = expected == null ? null : mutual;
        this.random = random;
    }

    static boolean isSecurityKey(String key) {
        return key.equals("AuthMethod") || key.startsWith("CHAP_");
    }

    boolean required() {
        return expected != null;
    }

    /** Whether the security stage may end now. */
    boolean satisfied() {
        return switch (state) {
            case AUTHENTICATED, NO_AUTHENTICATION -> true;
            case AWAIT_METHOD -> !required();
            case AWAIT_ALGORITHM, CHALLENGED -> false;
        };
    }

    /** Whether we are waiting for the initiator's next CHAP step (so a T=1 request gets T=0). */
    boolean exchangeUnderway() {
        return state == State.AWAIT_ALGORITHM || state == State.CHALLENGED;
    }

    void offer(KeyValue pair, List<KeyValue> answers) {
        switch (pair.key()) {
            case "AuthMethod" -> chooseMethod(pair.value(), answers);
            case "CHAP_A" -> chooseAlgorithm(pair.value(), answers);
            case "CHAP_N" -> name = inChallengedState(pair).value();
            case "CHAP_R" -> response = inChallengedState(pair).value();
            case "CHAP_I" -> mutualIdentifier = inChallengedState(pair).value();
            case "CHAP_C" -> mutualChallenge = inChallengedState(pair).value();
            default -> throw fail("unknown security key " + pair.key());
        }
    }

    /** Verifies the initiator's response (and answers a mutual challenge) if this text carried one. */
    void endOfText(List<KeyValue> answers) {
        if (state != State.CHALLENGED
                || (name == null && response == null && mutualIdentifier == null && mutualChallenge == null)) {
            return;
        }
        try {
            verify(answers);
            state = State.AUTHENTICATED;
        } finally {
            name = response = mutualIdentifier = mutualChallenge = null;
        }
    }

    private void chooseMethod(String offered, List<KeyValue> answers) {
        if (state != State.AWAIT_METHOD) {
            throw new LoginFailure(LoginStatus.INITIATOR_ERROR, "AuthMethod negotiated twice");
        }
        // List negotiation (§6.2.1): the first value in the initiator's order that we accept.
        for (String method : offered.split(",", -1)) {
            if (method.equals("CHAP") && required()) {
                answers.add(new KeyValue("AuthMethod", "CHAP"));
                state = State.AWAIT_ALGORITHM;
                return;
            }
            if (method.equals("None") && !required()) {
                answers.add(new KeyValue("AuthMethod", "None"));
                state = State.NO_AUTHENTICATION;
                return;
            }
        }
        throw fail(required() ? "CHAP is required but the initiator offered AuthMethod=" + offered
                : "no authentication is configured but the initiator offered only AuthMethod=" + offered);
    }

    private void chooseAlgorithm(String offered, List<KeyValue> answers) {
        if (state != State.AWAIT_ALGORITHM) {
            throw fail("CHAP_A out of order");
        }
        for (String code : offered.split(",", -1)) {
            OptionalLong n = ValueFormats.number(code);
            ChapAlgorithm candidate = n.isPresent() ? ChapAlgorithm.fromCode(n.getAsLong()) : null;
            if (candidate != null) {
                algorithm = candidate;
                identifier = random.nextInt(256);
                challenge = new byte[algorithm.challengeLength()];
                random.nextBytes(challenge);
                answers.add(new KeyValue("CHAP_A", Integer.toString(algorithm.code)));
                answers.add(new KeyValue("CHAP_I", Integer.toString(identifier)));
                answers.add(new KeyValue("CHAP_C", ValueFormats.hex(challenge)));
                state = State.CHALLENGED;
                return;
            }
        }
        throw fail("no supported CHAP algorithm in CHAP_A=" + offered);
    }

    private KeyValue inChallengedState(KeyValue pair) {
        if (state != State.CHALLENGED) {
            throw fail(pair.key() + " before our challenge or after authentication");
        }
        return pair;
    }

    private void verify(List<KeyValue> answers) {
        if (name == null || response == null) {
            throw fail("CHAP_N and CHAP_R must come together");
        }
        if (!name.equals(expected.user())) {
            throw fail("unknown CHAP name " + name);
        }
        byte[] received = ValueFormats.binary(response);
        byte[] wanted = algorithm.response(identifier, expected.secret(), challenge);
        // MessageDigest.isEqual takes the same time wherever the first difference lies.
        if (received == null || !MessageDigest.isEqual(received, wanted)) {
            throw fail("wrong CHAP response for " + name);
        }
        if (mutualIdentifier == null && mutualChallenge == null) {
            return;
        }
        if (mutualIdentifier == null || mutualChallenge == null) {
            throw fail("mutual CHAP needs both CHAP_I and CHAP_C");
        }
        if (mutual == null) {
            throw fail("the initiator asks for mutual CHAP but the target has no mutual secret");
        }
        OptionalLong id = ValueFormats.number(mutualIdentifier, 0, 255);
        byte[] theirChallenge = ValueFormats.binary(mutualChallenge);
        if (id.isEmpty() || theirChallenge == null || theirChallenge.length > MAX_BINARY_LENGTH) {
            throw fail("malformed mutual CHAP_I or CHAP_C");
        }
        // §12.1.3: answering our own challenge back would let a reflection attack authenticate.
        if (Arrays.equals(theirChallenge, challenge)) {
            throw fail("the initiator's CHAP_C repeats ours (reflection)");
        }
        // §12.1.3: one secret must not authenticate both directions.
        if (MessageDigest.isEqual(mutual.secret(), expected.secret())) {
            throw fail("mutual CHAP secret equals the initiator secret; refusing");
        }
        byte[] ours = algorithm.response((int) id.getAsLong(), mutual.secret(), theirChallenge);
        answers.add(new KeyValue("CHAP_N", mutual.user()));
        answers.add(new KeyValue("CHAP_R", ValueFormats.hex(ours)));
    }

    private static LoginFailure fail(String reason) {
        return new LoginFailure(LoginStatus.AUTHENTICATION_FAILURE, reason);
    }
}
