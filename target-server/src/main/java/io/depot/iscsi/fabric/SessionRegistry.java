package io.depot.iscsi.fabric;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Live sessions by their identity (initiator name, ISID, target), the TSIH numbering, and the
 * session limit. Admission is where session reinstatement happens (RFC 7143 §6.3.5): a login
 * with the ISID of a live session replaces it.
 */
final class SessionRegistry {
    record Key(String initiatorName, long isid, String targetName) {}

    /** Outcome of an admission: the new session, and the session it replaces (to be closed), if any. */
    record Admission(IscsiSession session, IscsiSession replaced) {}

    static final class RefusedException extends Exception {
        final int statusClass;
        final int statusDetail;

        RefusedException(int statusClass, int statusDetail, String message) {
            super(message, null, false, false);
            this.statusClass = statusClass;
            this.statusDetail = statusDetail;
        }
    }

    private final Map<Key, IscsiSession> sessions = new HashMap<>();
    private final int maxSessions;
    private int lastTsih;

    SessionRegistry(int maxSessions) {
        this.maxSessions = maxSessions;
    }

    interface SessionFactory {
        IscsiSession create(int tsih);
    }

    synchronized Admission admit(Key key, int requestedTsih, SessionFactory factory) throws RefusedException {
        IscsiSession existing = sessions.get(key);
        if (requestedTsih != 0 && (existing == null || existing.tsih() != requestedTsih)) {
            // RFC 7143 §11.13.5: a TSIH that names no session of this initiator port
            throw new RefusedException(0x02, 0x0a, "no session with TSIH " + requestedTsih + " for " + key);
        }
        if (existing == null && sessions.size() >= maxSessions) {
            throw new RefusedException(0x03, 0x02, "the target already serves its limit of " + maxSessions + " sessions");
        }
        int tsih = existing != null ? existing.tsih() : nextTsih();
        IscsiSession session = factory.create(tsih);
        sessions.put(key, session);
        return new Admission(session, existing);
    }

    /** Removes the session if it is still the one registered under its key; true if it was. */
    synchronized boolean remove(Key key, IscsiSession session) {
        return sessions.remove(key, session);
    }

    synchronized List<IscsiSession> list() {
        return List.copyOf(sessions.values());
    }

    private int nextTsih() {
        do {
            lastTsih = (lastTsih + 1) & 0xffff;
        } while (lastTsih == 0 || inUse(lastTsih));
        return lastTsih;
    }

    private boolean inUse(int tsih) {
        for (IscsiSession s : sessions.values()) {
            if (s.tsih() == tsih) {
                return true;
            }
        }
        return false;
    }
}
