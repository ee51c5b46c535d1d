package io.depot.iscsi.fabric.login;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The operational keys of RFC 7143 §13 as a table: each key has a negotiation rule, a range and
 * our own value; {@link #negotiate} answers one key per the rule, and {@link #session()} /
 * {@link #connection} turn the agreed values into parameters (RFC defaults for keys never sent).
 *
 * <p>Bad values of negotiated keys are answered {@code Reject} (§6.2: the key keeps its default).
 * Bad values of declarative keys cannot be rejected (no answer is expected), so they fail the login.
 */
final class OperationalNegotiator {
    private enum Rule {
        /** Each side states its own value; no answer. */
        DECLARATIVE,
        /** Numerical, result = min(offer, ours). */
        MIN,
        /** Numerical, result = max(offer, ours). */
        MAX,
        /** Boolean, result = offer AND ours. */
        AND,
        /** Boolean, result = offer OR ours. */
        OR,
        /** List: the first offered value we support. */
        LIST,
        /** Markers were removed in RFC 7143; their intervals are moot once markers are No. */
        IRRELEVANT
    }

    /**
     * @param ours our value (for LIST: the values we support, comma-separated)
     * @param leadingOnly Use: LO, so Irrelevant on a connection added to an existing session
     * @param discoveryIrrelevant "Irrelevant when: SessionType=Discovery" in §13
     */
    private record Key(String name, Rule rule, long low, long high, String ours, boolean leadingOnly,
                       boolean discoveryIrrelevant) {}

    private static final String MAX_BURST = "MaxBurstLength";
    private static final String FIRST_BURST = "FirstBurstLength";
    private static final String MAX_RECV = "MaxRecvDataSegmentLength";

    private final Map<String, Key> keys = new HashMap<>();
    private final Map<String, String> agreed = new LinkedHashMap<>();
    private final boolean discovery;
    private final boolean leading;

    OperationalNegotiator(TargetLimits limits, SessionType type, boolean leadingConnection) {
        this.discovery = type == SessionType.DISCOVERY;
        this.leading = leadingConnection;
        long segment = TargetLimits.MAX_SEGMENT;
        key("HeaderDigest", Rule.LIST, 0, 0, "CRC32C,None", false, false);
        key("DataDigest", Rule.LIST, 0, 0, "CRC32C,None", false, false);
        key(MAX_RECV, Rule.DECLARATIVE, 512, segment, null, false, false);
        key("MaxConnections", Rule.MIN, 1, 65535, Integer.toString(limits.maxConnections()), true, true);
        // We take unsolicited data, so InitialR2T is whatever the initiator wants (OR with No).
        key("InitialR2T", Rule.OR, 0, 0, "No", true, true);
        key("ImmediateData", Rule.AND, 0, 0, "Yes", true, true);
        key(MAX_BURST, Rule.MIN, 512, segment, Integer.toString(limits.maxBurstLength()), true, true);
        key(FIRST_BURST, Rule.MIN, 512, segment, Integer.toString(limits.firstBurstLength()), true, true);
        key("DefaultTime2Wait", Rule.MAX, 0, 3600, "2", true, false);
        key("DefaultTime2Retain", Rule.MIN, 0, 3600, "20", true, false);
        key("MaxOutstandingR2T", Rule.MIN, 1, 65535, Integer.toString(limits.maxOutstandingR2T()), true, true);
        // In-order data keeps the data path simple; OR with Yes makes both Yes whatever is offered.
        key("DataPDUInOrder", Rule.OR, 0, 0, "Yes", true, true);
        key("DataSequenceInOrder", Rule.OR, 0, 0, "Yes", true, true);
        // Only session recovery (level 0) is implemented.
        key("ErrorRecoveryLevel", Rule.MIN, 0, 2, "0", true, false);
        // RFC 7144: level 1 is RFC 7143 itself.
        key("iSCSIProtocolLevel", Rule.MIN, 0, 31, "1", true, false);
        key("TaskReporting", Rule.LIST, 0, 0, "RFC3720", true, false);
        // RFC 3720 markers (removed by RFC 7143 but still sent by old initiators): always off.
        key("IFMarker", Rule.AND, 0, 0, "No", false, false);
        key("OFMarker", Rule.AND, 0, 0, "No", false, false);
        key("IFMarkInt", Rule.IRRELEVANT, 0, 0, null, false, false);
        key("OFMarkInt", Rule.IRRELEVANT, 0, 0, null, false, false);
        // RFC 7145 iSER: we are TCP only.
        key("RDMAExtensions", Rule.AND, 0, 0, "No", true, false);
        // RFC 7143 §13.26: a declarative the target may ignore.
        key("X#NodeArchitecture", Rule.DECLARATIVE, 0, 0, null, false, false);
    }

    private void key(String name, Rule rule, long low, long high, String ours, boolean leadingOnly,
                     boolean discoveryIrrelevant) {
        keys.put(name, new Key(name, rule, low, high, ours, leadingOnly, discoveryIrrelevant));
    }

    boolean handles(String key) {
        return keys.containsKey(key);
    }

    private static final Set<String> KEY_NAMES =
            Set.copyOf(new OperationalNegotiator(TargetLimits.defaults(), SessionType.NORMAL, true).keys.keySet());

    /** Whether §13 (or an extension we know) defines this operational key. */
    static boolean isOperationalKey(String key) {
        return KEY_NAMES.contains(key);
    }

    /** Answers one offered key (appending to {@code answers}) and records the result. */
    void negotiate(KeyValue pair, List<KeyValue> answers) {
        Key key = keys.get(pair.key());
        String offer = pair.value();
        if ((key.leadingOnly && !leading) || (key.discoveryIrrelevant && discovery)) {
            answers.add(new KeyValue(key.name, "Irrelevant"));
            return;
        }
        String result = switch (key.rule) {
            case DECLARATIVE -> declare(key, offer);
            case MIN, MAX -> numeric(key, offer);
            case AND, OR -> bool(key, offer);
            case LIST -> list(key, offer);
            case IRRELEVANT -> "Irrelevant";
        };
        if (key.rule == Rule.DECLARATIVE) {
            return;
        }
        answers.add(new KeyValue(key.name, result));
        if (!result.equals("Reject") && !result.equals("Irrelevant")) {
            agreed.put(key.name, result);
        }
    }

    /**
     * Called once a whole text is answered: FirstBurstLength must not exceed MaxBurstLength
     * (§13.14). Lowering our FirstBurstLength answer keeps it a valid minimum-function answer.
     */
    void endOfText(List<KeyValue> answers) {
        String first = agreed.get(FIRST_BURST);
        if (first == null) {
            return;
        }
        int max = maxBurstLength();
        if (Integer.parseInt(first) > max) {
            String lowered = Integer.toString(max);
            agreed.put(FIRST_BURST, lowered);
            answers.replaceAll(kv -> kv.key().equals(FIRST_BURST) ? new KeyValue(FIRST_BURST, lowered) : kv);
        }
    }

    private String declare(Key key, String offer) {
        if (key.name.equals(MAX_RECV)) {
            OptionalLong n = ValueFormats.number(offer, key.low, key.high);
            if (n.isEmpty()) {
                throw new LoginFailure(LoginStatus.INITIATOR_ERROR, "bad MaxRecvDataSegmentLength=" + offer);
            }
            agreed.put(MAX_RECV, Long.toString(n.getAsLong()));
        }
        return null;
    }

    private String numeric(Key key, String offer) {
        OptionalLong n = ValueFormats.number(offer, key.low, key.high);
        if (n.isEmpty()) {
            return "Reject";
        }
        long ours = Long.parseLong(key.ours);
        long result = key.rule == Rule.MIN ? Math.min(n.getAsLong(), ours) : Math.max(n.getAsLong(), ours);
        if (key.name.equals(FIRST_BURST)) {
            result = Math.min(result, maxBurstLength());
        }
        return Long.toString(result);
    }

    private String bool(Key key, String offer) {
        Boolean theirs = ValueFormats.bool(offer);
        if (theirs == null) {
            return "Reject";
        }
        boolean ours = key.ours.equals("Yes");
        return ValueFormats.bool(key.rule == Rule.AND ? theirs && ours : theirs || ours);
    }

    private String list(Key key, String offer) {
        List<String> supported = List.of(key.ours.split(","));
        for (String value : offer.split(",", -1)) {
            if (supported.contains(value)) {
                return value;
            }
        }
        return "Reject";
    }

    private int maxBurstLength() {
        return intValue(MAX_BURST, SessionParameters.DEFAULTS.maxBurstLength());
    }

    private int intValue(String key, int fallback) {
        String v = agreed.get(key);
        return v == null ? fallback : Integer.parseInt(v);
    }

    private boolean boolValue(String key, boolean fallback) {
        String v = agreed.get(key);
        return v == null ? fallback : v.equals("Yes");
    }

    SessionParameters session() {
        SessionParameters d = SessionParameters.DEFAULTS;
        return new SessionParameters(
                intValue("MaxConnections", d.maxConnections()),
                boolValue("InitialR2T", d.initialR2T()),
                boolValue("ImmediateData", d.immediateData()),
                maxBurstLength(),
                intValue(FIRST_BURST, d.firstBurstLength()),
                intValue("DefaultTime2Wait", d.defaultTime2Wait()),
                intValue("DefaultTime2Retain", d.defaultTime2Retain()),
                intValue("MaxOutstandingR2T", d.maxOutstandingR2T()),
                boolValue("DataPDUInOrder", d.dataPduInOrder()),
                boolValue("DataSequenceInOrder", d.dataSequenceInOrder()),
                intValue("ErrorRecoveryLevel", d.errorRecoveryLevel()));
    }

    /** @param targetMaxRecv what we declared, or the default when we never did */
    ConnectionParameters connection(int targetMaxRecv) {
        return new ConnectionParameters(
                digest("HeaderDigest"),
                digest("DataDigest"),
                intValue(MAX_RECV, ConnectionParameters.DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH),
                targetMaxRecv);
    }

    private Digest digest(String key) {
        return "CRC32C".equals(agreed.get(key)) ? Digest.CRC32C : Digest.NONE;
    }
}
