package io.depot.iscsi.fabric.login;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The target side of one connection's login phase (RFC 7143 §6): feed every Login Request PDU to
 * {@link #handle} in order and send back what it returns.
 *
 * <p>Stages: SecurityNegotiation (0), LoginOperationalNegotiation (1), FullFeaturePhase (3). The
 * initiator may start in stage 1 when the target needs no authentication, and may jump from 0 to
 * 3. We leave a stage only when the initiator asks (T=1) and the stage's work is done; a T=1
 * request answered while CHAP is still under way gets T=0.
 *
 * <p>Text continuation both ways: a request with C=1 is answered by an empty response (T=0, C=0)
 * and its text is held until the request with C=0 completes it. Our own text is cut into 8192-byte
 * pieces (the login-phase MaxRecvDataSegmentLength, §13.12) sent with C=1; the initiator answers
 * each with an empty Login Request. In practice our login answers are a few hundred bytes.
 *
 * <p>Never throws on bad input: any failure becomes a response with a non-zero status, after which
 * {@link #isFailed()} is true and the fabric closes the connection (§11.13). Not thread-safe: one
 * instance per connection, driven by the connection's event loop.
 */
public final class LoginNegotiation {
    private static final Logger log = LoggerFactory.getLogger(LoginNegotiation.class);

    /** RFC 7143 §13.12: during login both sides use the default MaxRecvDataSegmentLength. */
    static final int LOGIN_SEGMENT_LENGTH = ConnectionParameters.DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH;
    /** RFC 3720 §3.2.6.1: an iSCSI name is at most 223 bytes of UTF-8. */
    static final int MAX_NAME_LENGTH = 223;
    /** RFC 7143 §6.1: a simple value is at most 255 bytes. */
    static final int MAX_SIMPLE_VALUE_LENGTH = 255;

    private static final byte[] EMPTY = new byte[0];
    /** Keys that name the session; they may be repeated in later texts only with the same value. */
    private static final Set<String> SESSION_KEYS = Set.of("InitiatorName", "InitiatorAlias", "TargetName", "SessionType");
    /** Keys only a target sends (§13.6, §13.8, §13.9). */
    private static final Set<String> TARGET_ONLY_KEYS = Set.of("TargetAlias", "TargetAddress", "TargetPortalGroupTag");
    /** §6.2: these are answers, never offers; we offer nothing that needs answering, so they are ignored. */
    private static final Set<String> ANSWER_VALUES = Set.of("Reject", "Irrelevant", "NotUnderstood");

    private final TargetCatalog catalog;
    private final TargetLimits limits;
    private final int portalGroupTag;
    private final SecureRandom random;

    // Fixed by the first request.
    private boolean firstRequestSeen;
    private long isid;
    private int tsih;
    private int cid;
    private int versionMax;

    // Fixed by the first complete text.
    private SessionType type;
    private String initiatorName;
    private String initiatorAlias;
    /** The values of {@link #SESSION_KEYS} as first declared. */
    private final Map<String, String> sessionKeys = new HashMap<>();
    private TargetEntry target;
    private ChapAuthenticator chap;
    private OperationalNegotiator operational;

    private LoginStage stage;
    private final TextAccumulator incoming = new TextAccumulator();
    private TextChunker outgoing;
    private boolean outgoingTransit;
    private LoginStage outgoingNext;
    private final Set<String> negotiatedKeys = new HashSet<>();
    private boolean firstAnswerSent;
    private boolean maxRecvDeclared;

    private boolean complete;
    private NegotiatedSession result;
    private LoginStatus failure;
    private String failureReason;

    public LoginNegotiation(TargetCatalog catalog, TargetLimits limits, int portalGroupTag, SecureRandom random) {
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.random = Objects.requireNonNull(random, "random");
        if (portalGroupTag < 0 || portalGroupTag > 65535) {
            throw new IllegalArgumentException("portal group tag must be 0..65535");
        }
        this.portalGroupTag = portalGroupTag;
    }

    /** Answers one Login Request PDU. Never throws. */
    public LoginResponse handle(LoginRequest request) {
        try {
            if (failure != null) {
                return failed(failure, failureReason);
            }
            if (complete) {
                return failed(LoginStatus.INITIATOR_ERROR, "Login Request after the login phase completed");
            }
            if (request == null) {
                return failed(LoginStatus.INITIATOR_ERROR, "no request");
            }
            return step(request);
        } catch (LoginFailure f) {
            return failed(f.status(), f.getMessage());
        } catch (RuntimeException e) {
            log.warn("login negotiation bug; failing the login with a target error", e);
            return failed(LoginStatus.TARGET_ERROR, "internal error: " + e);
        }
    }

    /** True once a response moved to the Full Feature Phase (T=1, NSG=3, success). */
    public boolean isComplete() {
        return complete;
    }

    /** True once a failure response was produced; the fabric sends it and closes the connection. */
    public boolean isFailed() {
        return failure != null;
    }

    /** The failure status, or null while the login has not failed. */
    public LoginStatus failureStatus() {
        return failure;
    }

    /** Why the login failed, for the log; null while it has not failed. */
    public String failureReason() {
        return failureReason;
    }

    /** The negotiated session; only once {@link #isComplete()}. */
    public NegotiatedSession result() {
        if (!complete) {
            throw new IllegalStateException("login not complete");
        }
        return result;
    }

    private LoginResponse step(LoginRequest request) {
        checkHeader(request);
        byte[] data = request.dataOrEmpty();
        if (outgoing != null) {
            // §11.13.2: while our text continues the initiator sends empty requests to pull the rest.
            if (data.length != 0 || request.cont()) {
                throw new LoginFailure(LoginStatus.INITIATOR_ERROR, "text sent while the target's text continues");
            }
            return nextPiece();
        }
        if (!incoming.append(data)) {
            throw new LoginFailure(LoginStatus.INITIATOR_ERROR, "login text longer than " + TextAccumulator.MAX_TEXT_LENGTH);
        }
        if (request.cont()) {
            // §11.12.2 / §11.13.2: acknowledge a partial text with an empty response, T=0.
            return new LoginResponse(false, false, stage.code, 0, 0, 0, EMPTY);
        }
        List<KeyValue> pairs = switch (TextCodec.decode(incoming.drain())) {
            case TextCodec.Parsed parsed -> parsed.pairs();
            case TextCodec.Malformed malformed -> throw new LoginFailure(LoginStatus.INITIATOR_ERROR, malformed.reason());
        };
        if (chap == null) {
            establish(pairs);
        }
        List<KeyValue> answers = new ArrayList<>();
        Set<String> keysInText = new HashSet<>();
        for (KeyValue pair : pairs) {
            if (!keysInText.add(pair.key())) {
                throw new LoginFailure(LoginStatus.INITIATOR_ERROR, pair.key() + " sent twice in one text");
            }
            offer(pair, answers);
        }
        if (stage == LoginStage.SECURITY) {
            chap.endOfText(answers);
        } else {
            operational.endOfText(answers);
        }
        declare(answers);
        boolean transit = request.transit() && mayLeaveStage();
        return respond(transit, LoginStage.fromCode(request.nsg()), TextCodec.encode(answers));
    }

    /** BHS rules of §11.12: stages, T/C combination, version, identity fixed for the whole login. */
    private void checkHeader(LoginRequest request) {
        // Version 0 is the only iSCSI version (§11.12.4); the initiator's range must include it.
        if (request.versionMin() != 0) {
            throw new LoginFailure(LoginStatus.UNSUPPORTED_VERSION, "Version-min " + request.versionMin());
        }
        LoginStage csg = LoginStage.fromCode(request.csg());
        if (csg == null || csg == LoginStage.FULL_FEATURE) {
            throw new LoginFailure(LoginStatus.INITIATOR_ERROR, "CSG " + request.csg());
        }
        if (!firstRequestSeen) {
            firstRequestSeen = true;
            isid = request.isid();
            tsih = request.tsih();
            cid = request.cid();
            versionMax = request.versionMax();
            stage = csg;
        } else {
            if (request.isid() != isid || request.tsih() != tsih || request.cid() != cid
                    || request.versionMax() != versionMax) {
                throw new LoginFailure(LoginStatus.INITIATOR_ERROR, "ISID, TSIH, CID or Version-max changed during login");
            }
            if (csg != stage) {
                throw new LoginFailure(LoginStatus.INITIATOR_ERROR, "CSG " + csg + " but the login is in " + stage);
            }
        }
        if (request.transit()) {
            if (request.cont()) {
                throw new LoginFailure(LoginStatus.INITIATOR_ERROR, "T and C both set");
            }
            LoginStage nsg = LoginStage.fromCode(request.nsg());
            if (nsg == null || nsg.code <= csg.code) {
                throw new LoginFailure(LoginStatus.INITIATOR_ERROR, "NSG " + request.nsg() + " from " + csg);
            }
        }
    }

    /** The first complete text names the initiator, the session type and (normal) the target. */
    private void establish(List<KeyValue> pairs) {
        Map<String, String> first = sessionKeys;
        for (KeyValue pair : pairs) {
            if (SESSION_KEYS.contains(pair.key())) {
                first.putIfAbsent(pair.key(), pair.value());
            }
        }
        initiatorName = first.get("InitiatorName");
        if (initiatorName == null || initiatorName.isEmpty()) {
            throw new LoginFailure(LoginStatus.MISSING_PARAMETER, "no InitiatorName in the first request");
        }
        if (utf8Length(initiatorName) > MAX_NAME_LENGTH || !isIscsiName(initiatorName)) {
            throw new LoginFailure(LoginStatus.INITIATOR_ERROR, "InitiatorName is not an iSCSI name of at most 223 bytes");
        }
        initiatorAlias = first.get("InitiatorAlias");
        if (initiatorAlias != null && utf8Length(initiatorAlias) > MAX_SIMPLE_VALUE_LENGTH) {
            throw new LoginFailure(LoginStatus.INITIATOR_ERROR, "InitiatorAlias longer than 255 bytes");
        }
        String sessionType = first.getOrDefault("SessionType", SessionType.NORMAL.keyValue());
        type = SessionType.fromKeyValue(sessionType);
        if (type == null) {
            throw new LoginFailure(LoginStatus.SESSION_TYPE_NOT_SUPPORTED, "SessionType=" + sessionType);
        }
        ChapSecret required = limits.discoveryChap();
        ChapSecret mutual = null;
        if (type == SessionType.NORMAL) {
            String targetName = first.get("TargetName");
            if (targetName == null || targetName.isEmpty()) {
                throw new LoginFailure(LoginStatus.MISSING_PARAMETER, "no TargetName in the first request of a normal session");
            }
            target = utf8Length(targetName) > MAX_NAME_LENGTH ? null : catalog.find(targetName);
            if (target == null) {
                throw new LoginFailure(LoginStatus.NOT_FOUND, "no target " + targetName);
            }
            if (!target.allowsInitiator(initiatorName)) {
                throw new LoginFailure(LoginStatus.AUTHORIZATION_FAILURE, initiatorName + " not allowed on " + targetName);
            }
            required = target.chap();
            mutual = target.mutualChap();
        }
        chap = new ChapAuthenticator(required, mutual, random);
        operational = new OperationalNegotiator(limits, type, tsih == 0);
        if (stage == LoginStage.OPERATIONAL && chap.required()) {
            throw new LoginFailure(LoginStatus.AUTHENTICATION_FAILURE, "the initiator skipped the security stage but CHAP is required");
        }
    }

    private void offer(KeyValue pair, List<KeyValue> answers) {
        String key = pair.key();
        if (SESSION_KEYS.contains(key)) {
            checkSessionKey(pair);
            return;
        }
        if (ANSWER_VALUES.contains(pair.value())) {
            return;
        }
        if (TARGET_ONLY_KEYS.contains(key)) {
            throw new LoginFailure(LoginStatus.INITIATOR_ERROR, key + " is sent by targets only");
        }
        if (ChapAuthenticator.isSecurityKey(key)) {
            if (stage != LoginStage.SECURITY) {
                throw new LoginFailure(LoginStatus.INITIATOR_ERROR, key + " outside the security stage");
            }
            chap.offer(pair, answers);
        } else if (operational.handles(key)) {
            // Operational keys belong to stage 1 (as in LIO: negotiating before authentication is refused).
            if (stage != LoginStage.OPERATIONAL) {
                throw new LoginFailure(LoginStatus.INITIATOR_ERROR, key + " in the security stage");
            }
            if (!negotiatedKeys.add(key)) {
                throw new LoginFailure(LoginStatus.INITIATOR_ERROR, key + " renegotiated");
            }
            operational.negotiate(pair, answers);
        } else if (key.equals("SendTargets")) {
            // Use: FFPO (§13.3); a login text is not the place for it.
            answers.add(new KeyValue(key, "Reject"));
        } else {
            // §6.2: unknown keys, including private X- and X# extensions, are answered NotUnderstood.
            answers.add(new KeyValue(key, "NotUnderstood"));
        }
    }

    /**
     * libiscsi repeats InitiatorName, TargetName and SessionType in the operational stage after CHAP.
     * The same value again is harmless; a different one would change the session mid-login.
     */
    private void checkSessionKey(KeyValue pair) {
        String established = pair.key().equals("SessionType") ? type.keyValue() : sessionKeys.get(pair.key());
        if (established == null) {
            // Declared for the first time in a later text (an alias, or TargetName in discovery).
            if (utf8Length(pair.value()) > MAX_SIMPLE_VALUE_LENGTH) {
                throw new LoginFailure(LoginStatus.INITIATOR_ERROR, pair.key() + " longer than 255 bytes");
            }
            sessionKeys.put(pair.key(), pair.value());
            if (pair.key().equals("InitiatorAlias")) {
                initiatorAlias = pair.value();
            }
        } else if (!pair.value().equals(established)) {
            throw new LoginFailure(LoginStatus.INITIATOR_ERROR, pair.key() + " changed during login");
        }
    }

    /** Our declarations: portal group tag and alias first (§13.9), our receive limit in stage 1. */
    private void declare(List<KeyValue> answers) {
        if (!firstAnswerSent) {
            firstAnswerSent = true;
            answers.add(new KeyValue("TargetPortalGroupTag", Integer.toString(portalGroupTag)));
            if (target != null && target.alias() != null && !target.alias().isEmpty()) {
                answers.add(new KeyValue("TargetAlias", target.alias()));
            }
        }
        if (stage == LoginStage.OPERATIONAL && !maxRecvDeclared) {
            maxRecvDeclared = true;
            answers.add(new KeyValue("MaxRecvDataSegmentLength", Integer.toString(limits.maxRecvDataSegmentLength())));
        }
    }

    private boolean mayLeaveStage() {
        if (stage != LoginStage.SECURITY || chap.satisfied()) {
            return true;
        }
        if (chap.exchangeUnderway()) {
            return false;
        }
        throw new LoginFailure(LoginStatus.AUTHENTICATION_FAILURE, "the initiator leaves the security stage without authenticating");
    }

    private LoginResponse respond(boolean transit, LoginStage next, byte[] text) {
        outgoing = new TextChunker(text, LOGIN_SEGMENT_LENGTH);
        outgoingTransit = transit;
        outgoingNext = next;
        return nextPiece();
    }

    private LoginResponse nextPiece() {
        byte[] piece = outgoing.next();
        if (outgoing.hasMore()) {
            // §11.13.2: a response with C=1 has T=0.
            return new LoginResponse(false, true, stage.code, 0, 0, 0, piece);
        }
        outgoing = null;
        LoginStage current = stage;
        if (outgoingTransit) {
            enter(outgoingNext);
        }
        return new LoginResponse(outgoingTransit, false, current.code, outgoingTransit ? outgoingNext.code : 0, 0, 0, piece);
    }

    private void enter(LoginStage next) {
        stage = next;
        if (next == LoginStage.FULL_FEATURE) {
            int targetMaxRecv = maxRecvDeclared ? limits.maxRecvDataSegmentLength()
                    : ConnectionParameters.DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH;
            result = new NegotiatedSession(type, initiatorName, initiatorAlias,
                    target == null ? null : target.name(), isid, tsih, cid,
                    operational.session(), operational.connection(targetMaxRecv));
            complete = true;
        }
    }

    private LoginResponse failed(LoginStatus status, String reason) {
        if (failure == null) {
            failure = status;
            failureReason = reason;
            log.debug("login failed with {}: {}", status, reason);
        }
        int csg = stage == null ? 0 : Math.min(stage.code, LoginStage.OPERATIONAL.code);
        return new LoginResponse(false, false, csg, 0, failure.statusClass(), failure.statusDetail(), EMPTY);
    }

    /** RFC 7143 §4.2.7: iqn., eui. or naa. names (compared without regard to case, §4.2.7.1). */
    private static boolean isIscsiName(String name) {
        String prefix = name.length() > 4 ? name.substring(0, 4).toLowerCase(java.util.Locale.ROOT) : "";
        return prefix.equals("iqn.") || prefix.equals("eui.") || prefix.equals("naa.");
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
