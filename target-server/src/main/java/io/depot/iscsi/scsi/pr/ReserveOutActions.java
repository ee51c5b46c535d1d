package io.depot.iscsi.scsi.pr;

import io.depot.iscsi.scsi.ItNexus;
import io.depot.iscsi.scsi.ScsiResult;
import io.depot.iscsi.scsi.Sense;
import io.depot.iscsi.scsi.SenseReason;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The PERSISTENT RESERVE OUT service actions (SPC-4 §5.9.7 to §5.9.11, §6.16): each one builds the
 * next {@link ReservationState} from the current one, with the unit attentions and preemptions the
 * change brings, or answers why it cannot. Pure: {@link PersistentReservations} holds the lock,
 * persists, publishes and notifies.
 *
 * @param aptplSupported   false refuses APTPL (there is nowhere to persist the state)
 * @param maxRegistrations beyond it, REGISTER gets INSUFFICIENT REGISTRATION RESOURCES
 */
record ReserveOutActions(boolean aptplSupported, int maxRegistrations) {
    static final int REGISTER = 0, RESERVE = 1, RELEASE = 2, CLEAR = 3, PREEMPT = 4,
        PREEMPT_AND_ABORT = 5, REGISTER_AND_IGNORE = 6, REGISTER_AND_MOVE = 7;
    static final ScsiResult CONFLICT = new ScsiResult(ScsiResult.RESERVATION_CONFLICT, null, null);

    /** Runs the service action {@code rq} names, leaving the next state in {@code c}. */
    ScsiResult apply(Request rq, Change c) {
        switch (rq.sa) {
            case REGISTER, REGISTER_AND_IGNORE: return register(rq, c);
            case REGISTER_AND_MOVE: return registerAndMove(rq, c);
            default: break;
        }
        // The other actions are for a nexus registered under the reservation key it sent.
        Registration mine = keyHolder(c.before, rq);
        if (mine == null) {
            return CONFLICT;
        }
        return switch (rq.sa) {
            case RESERVE -> reserve(rq, mine, c);
            case RELEASE -> release(rq, mine, c);
            case CLEAR -> clear(mine, c);
            default -> preempt(rq, mine, c);
        };
    }

    /** A decoded PERSISTENT RESERVE OUT. */
    record Request(ItNexus nexus, int sa, int scope, int typeCode, byte[] p) {
        long key() { return u64(p, 0); }
        long saKey() { return u64(p, 8); }
    }

    /** The next state being built, with the notifications it brings. */
    static final class Change {
        final ReservationState before;
        ReservationState next;
        final Map<Registration, SenseReason> notices = new LinkedHashMap<>();
        final Set<Registration> preempted = new LinkedHashSet<>();

        Change(ReservationState before) {
            this.before = before;
            this.next = before;
        }

        void notify(Iterable<Registration> regs, Registration except, SenseReason reason) {
            for (Registration r : regs) {
                if (!r.equals(except)) {
                    notices.putIfAbsent(r, reason);
                }
            }
        }
    }

    /** REGISTER and REGISTER AND IGNORE EXISTING KEY (SPC-4 §5.9.7). */
    private ScsiResult register(Request rq, Change c) {
        ReservationState s = c.before;
        boolean ignoreKey = rq.sa == REGISTER_AND_IGNORE;
        boolean specIpt = (rq.p[20] & 0x08) != 0;
        boolean allTgPt = (rq.p[20] & 0x04) != 0;
        boolean aptpl = (rq.p[20] & 0x01) != 0;
        long saKey = rq.saKey();
        Registration mine = s.registrationOf(rq.nexus);

        if (mine == null) {
            if (!ignoreKey && rq.key() != 0) {
                return CONFLICT;
            }
            if (saKey == 0) {
                return ScsiResult.OK; // unregistered nexus "unregistering": nothing to do
            }
            int port = allTgPt ? Registration.ALL_PORTS : rq.nexus.relativePortId();
            List<Registration> regs = new ArrayList<>(s.registrations());
            Registration me = new Registration(saKey, rq.nexus.initiatorName(), rq.nexus.isid(), port);
            if (overlapsAny(me, regs)) {
                return invalidParameter(20, 2); // ALL_TG_PT over a port registered through another target port
            }
            regs.add(me);
            if (specIpt) {
                ScsiResult bad = addSpecifiedPorts(rq, saKey, port, regs);
                if (bad != null) {
                    return bad;
                }
            }
            if (regs.size() > maxRegistrations) {
                return Sense.check(SenseReason.INSUFFICIENT_REGISTRATION_RESOURCES);
            }
            c.next = s.with(regs, s.type(), s.holder(), true).withAptpl(aptpl);
            return ScsiResult.OK;
        }

        if (specIpt) {
            return invalidParameter(20, 3); // SPEC_I_PT from a registered nexus (SPC-4 §6.16.3)
        }
        if (!ignoreKey && rq.key() != mine.key()) {
            return CONFLICT;
        }
        if (saKey == 0) {
            unregister(mine, c);
        } else {
            Registration renewed = mine.withKey(saKey);
            List<Registration> regs = new ArrayList<>(s.registrations());
            regs.set(regs.indexOf(mine), renewed);
            c.next = s.with(regs, s.type(), mine.equals(s.holder()) ? renewed : s.holder(), true);
        }
        c.next = c.next.withAptpl(aptpl);
        return ScsiResult.OK;
    }

    /** SPEC_I_PT: the TransportIDs after the 24-byte list, each registered at {@code port} (SPC-4 §6.16.3). */
    private static ScsiResult addSpecifiedPorts(Request rq, long saKey, int port, List<Registration> regs) {
        byte[] p = rq.p;
        if (p.length < 28) {
            return Sense.check(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        }
        long tidLength = u32(p, 24);
        if (28 + tidLength != p.length) {
            return Sense.check(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        }
        int off = 28;
        while (off < p.length) {
            TransportId tid;
            try {
                tid = TransportId.parse(p, off, p.length);
            } catch (TransportId.Malformed e) {
                return invalidParameter(off + e.offset, -1);
            }
            Registration r = new Registration(saKey, tid.initiatorName(), tid.isid(), port);
            // A TransportID naming an already registered I_T nexus (or repeating one) is refused.
            if (overlapsAny(r, regs)) {
                return invalidParameter(off, -1);
            }
            regs.add(r);
            off += tid.length();
        }
        return null;
    }

    private static boolean overlapsAny(Registration r, List<Registration> regs) {
        for (Registration other : regs) {
            if (r.overlaps(other)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Removes {@code gone}; a holder's departure releases a reservation it held alone, and an
     * all-registrants reservation ends with its last registrant (SPC-4 §5.9.11.2). Registrants-only
     * reservations so released notify the remaining registrants.
     */
    private static void unregister(Registration gone, Change c) {
        ReservationState s = c.next;
        List<Registration> regs = new ArrayList<>(s.registrations());
        regs.remove(gone);
        ReservationType type = s.type();
        Registration holder = s.holder();
        if (type != null) {
            if (type.allRegistrants() ? regs.isEmpty() : gone.equals(holder)) {
                if (type == ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY
                    || type == ReservationType.EXCLUSIVE_ACCESS_REGISTRANTS_ONLY) {
                    c.notify(regs, gone, SenseReason.RESERVATIONS_RELEASED);
                }
                type = null;
                holder = null;
            }
        }
        c.next = s.with(regs, type, holder, true);
    }

    /** RESERVE (SPC-4 §5.9.9). */
    private static ScsiResult reserve(Request rq, Registration mine, Change c) {
        ReservationState s = c.before;
        ReservationType type = ReservationType.of(rq.typeCode);
        ScsiResult bad = checkScopeAndType(rq, type);
        if (bad != null) {
            return bad;
        }
        if (s.type() != null) {
            return s.isHolder(mine) && s.type() == type ? ScsiResult.OK : CONFLICT;
        }
        c.next = s.with(s.registrations(), type, type.allRegistrants() ? null : mine, false);
        return ScsiResult.OK;
    }

    /** RELEASE (SPC-4 §5.9.11.2). */
    private static ScsiResult release(Request rq, Registration mine, Change c) {
        ReservationState s = c.before;
        if (s.type() == null || !s.isHolder(mine)) {
            return ScsiResult.OK; // nothing held by this nexus: GOOD, no change
        }
        if (rq.scope != 0 || ReservationType.of(rq.typeCode) != s.type()) {
            return Sense.check(SenseReason.INVALID_RELEASE_OF_PERSISTENT_RESERVATION);
        }
        if (s.type() != ReservationType.WRITE_EXCLUSIVE && s.type() != ReservationType.EXCLUSIVE_ACCESS) {
            c.notify(s.registrations(), mine, SenseReason.RESERVATIONS_RELEASED);
        }
        c.next = s.with(s.registrations(), null, null, false);
        return ScsiResult.OK;
    }

    /** CLEAR (SPC-4 §5.9.11.6). */
    private static ScsiResult clear(Registration mine, Change c) {
        ReservationState s = c.before;
        c.notify(s.registrations(), mine, SenseReason.RESERVATIONS_PREEMPTED);
        c.next = s.with(List.of(), null, null, true);
        return ScsiResult.OK;
    }

    /** PREEMPT and PREEMPT AND ABORT (SPC-4 §5.9.11.4, §5.9.11.5). */
    private static ScsiResult preempt(Request rq, Registration mine, Change c) {
        ReservationState s = c.before;
        long saKey = rq.saKey();
        ReservationType current = s.type();
        boolean preemptsReservation = current != null
            && (current.allRegistrants() ? saKey == 0 : saKey == s.holder().key());

        if (!preemptsReservation) {
            // Only registrations go: those with the key given (the requester's own too if it matches).
            if (saKey == 0) {
                return invalidParameter(8, -1);
            }
            List<Registration> regs = new ArrayList<>();
            for (Registration r : s.registrations()) {
                if (r.key() == saKey) {
                    c.preempted.add(r);
                } else {
                    regs.add(r);
                }
            }
            if (c.preempted.isEmpty()) {
                return CONFLICT;
            }
            boolean lastRegistrantGone = current != null && current.allRegistrants() && regs.isEmpty();
            c.notify(c.preempted, mine, SenseReason.REGISTRATIONS_PREEMPTED);
            c.next = lastRegistrantGone ? s.with(regs, null, null, true) : s.with(regs, current, s.holder(), true);
            return ScsiResult.OK;
        }

        ReservationType type = ReservationType.of(rq.typeCode);
        ScsiResult bad = checkScopeAndType(rq, type);
        if (bad != null) {
            return bad;
        }
        // The holder's registrations (every other registration, for all-registrants types) go, except
        // the requester's; the requester holds the new reservation.
        List<Registration> regs = new ArrayList<>();
        for (Registration r : s.registrations()) {
            boolean goes = !r.equals(mine) && (current.allRegistrants() || r.key() == saKey);
            if (goes) {
                c.preempted.add(r);
            } else {
                regs.add(r);
            }
        }
        c.notify(c.preempted, mine, SenseReason.REGISTRATIONS_PREEMPTED);
        if (type != current) {
            c.notify(regs, mine, SenseReason.RESERVATIONS_RELEASED);
        }
        c.next = s.with(regs, type, type.allRegistrants() ? null : mine, true);
        return ScsiResult.OK;
    }

    /** REGISTER AND MOVE (SPC-4 §5.9.8): registers the named nexus and hands it the reservation. */
    private ScsiResult registerAndMove(Request rq, Change c) {
        ReservationState s = c.before;
        byte[] p = rq.p;
        long tidLength = u32(p, 20);
        if (24 + tidLength > p.length) {
            return Sense.check(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        }
        Registration mine = keyHolder(s, rq);
        if (mine == null) {
            return CONFLICT;
        }
        boolean unreg = (p[17] & 0x02) != 0;
        boolean aptpl = (p[17] & 0x01) != 0;
        if (aptpl && !aptplSupported) {
            return invalidParameter(17, 0);
        }
        // Only the holder of a reservation that one nexus holds can move it.
        if (s.type() == null || s.type().allRegistrants() || !s.isHolder(mine)) {
            return CONFLICT;
        }
        long saKey = rq.saKey();
        if (saKey == 0) {
            return invalidParameter(8, -1);
        }
        int port = ((p[18] & 0xff) << 8) | (p[19] & 0xff);
        if (port == 0) {
            return invalidParameter(18, -1);
        }
        TransportId tid;
        try {
            tid = TransportId.parse(p, 24, (int) (24 + tidLength));
        } catch (TransportId.Malformed e) {
            return invalidParameter(24 + e.offset, -1);
        }
        Registration dest = new Registration(saKey, tid.initiatorName(), tid.isid(), port);
        if (dest.overlaps(mine)) {
            return invalidParameter(24, -1); // the destination is the requester itself
        }
        List<Registration> regs = new ArrayList<>(s.registrations());
        Registration existing = null;
        for (Registration r : regs) {
            if (r.overlaps(dest)) {
                boolean same = r.initiatorName().equalsIgnoreCase(dest.initiatorName())
                    && r.isid() == dest.isid() && r.relativePortId() == dest.relativePortId();
                if (!same) {
                    return invalidParameter(24, -1); // registered more broadly than the TransportID names
                }
                existing = r;
            }
        }
        if (existing != null) {
            regs.set(regs.indexOf(existing), dest);
        } else {
            regs.add(dest);
            if (regs.size() > maxRegistrations) {
                return Sense.check(SenseReason.INSUFFICIENT_REGISTRATION_RESOURCES);
            }
        }
        if (unreg) {
            regs.remove(mine);
        }
        c.next = s.with(regs, s.type(), dest, true).withAptpl(aptpl);
        return ScsiResult.OK;
    }

    private static ScsiResult checkScopeAndType(Request rq, ReservationType type) {
        if (rq.scope != 0) {
            return Sense.check(Sense.invalidField(SenseReason.INVALID_FIELD_IN_CDB, true, 2, 7));
        }
        if (type == null) {
            return Sense.check(Sense.invalidField(SenseReason.INVALID_FIELD_IN_CDB, true, 2, 3));
        }
        return null;
    }

    /** The requester's registration when the reservation key it sent is its own; null means RESERVATION CONFLICT. */
    private static Registration keyHolder(ReservationState s, Request rq) {
        Registration mine = s.registrationOf(rq.nexus);
        return mine != null && mine.key() == rq.key() ? mine : null;
    }

    static ScsiResult invalidParameter(int byteOffset, int bit) {
        return Sense.check(Sense.invalidField(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST, false, byteOffset, bit));
    }

    static long u64(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xff);
        }
        return v;
    }

    static long u32(byte[] b, int off) {
        return ((b[off] & 0xffL) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
    }
}
