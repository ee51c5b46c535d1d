package io.depot.iscsi.fabric;

import io.depot.iscsi.fabric.login.NegotiatedSession;
import io.depot.iscsi.scsi.ItNexus;
import java.util.HashMap;
import java.util.Map;

/**
 * A logged-in session: who it is (its I_T nexus), what was negotiated, its command window and
 * its tasks. Depot negotiates MaxConnections=1, so a session has exactly one connection, whose
 * event loop owns all of this state.
 */
final class IscsiSession {
    private final int tsih;
    final SessionRegistry.Key key;
    final IscsiTarget target;
    final ItNexus nexus;
    final NegotiatedSession negotiated;
    final int window;

    /** CmdSN the next in-order non-immediate command must carry (RFC 7143 §4.2.2.1). */
    int expCmdSN;
    /** Non-immediate commands accepted and not yet finished: they hold window slots. */
    int inFlight;
    /** CmdSNs an ABORT TASK named before the command arrived (RFC 7143 §11.5.1): dropped on arrival. */
    final java.util.Set<Integer> abortedBeforeArrival = new java.util.HashSet<>();
    /** Tasks by initiator task tag. */
    final Map<Integer, IscsiTask> tasks = new HashMap<>();

    IscsiSession(int tsih, SessionRegistry.Key key, IscsiTarget target, ItNexus nexus, NegotiatedSession negotiated,
                 int window, int initialCmdSN) {
        this.tsih = tsih;
        this.key = key;
        this.target = target;
        this.nexus = nexus;
        this.negotiated = negotiated;
        this.window = window;
        this.expCmdSN = initialCmdSN;
    }

    private volatile IscsiConnection connection;

    int tsih() { return tsih; }

    void attach(IscsiConnection c) { connection = c; }

    IscsiConnection connection() { return connection; }

    boolean isDiscovery() { return target == null; }

    /** The highest CmdSN the initiator may send now: the window shrinks while commands are in flight. */
    int maxCmdSN() {
        return expCmdSN - 1 + Math.max(0, window - inFlight);
    }

    /** Serial-number comparison (RFC 1982, 32 bits): a < b. */
    static boolean before(int a, int b) {
        return a != b && (a - b) < 0;
    }

    @Override
    public String toString() {
        return (isDiscovery() ? "discovery session of " : "session of ") + key.initiatorName()
                + String.format(" isid=%012x tsih=%d", key.isid(), tsih) + (target == null ? "" : " on " + target.name());
    }
}
