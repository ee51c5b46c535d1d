package io.depot.iscsi.scsi.pr;

import io.depot.iscsi.scsi.ItNexus;
import io.depot.iscsi.scsi.Reservations;
import io.depot.iscsi.scsi.ScsiCommand;
import io.depot.iscsi.scsi.ScsiResult;
import io.depot.iscsi.scsi.Sense;
import io.depot.iscsi.scsi.SenseReason;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reservations of one logical unit: SPC-2 RESERVE/RELEASE and SPC-4 persistent reservations
 * (§5.9, PERSISTENT RESERVE IN §6.15, OUT §6.16), with compatible reservation handling (CRH,
 * SPC-4 §5.9.3).
 *
 * <p>Thread-safe. {@link #conflicts} runs before every command and takes no lock: it reads an
 * immutable {@link ReservationState} snapshot. PERSISTENT RESERVE OUT and RESERVE/RELEASE build
 * the next state under one lock, persist it when APTPL is in force, publish it, and only then
 * raise unit attentions and tell the {@link PreemptListener}.
 *
 * <p>Registrations name initiator ports (initiator name + ISID) at a relative target port, or at
 * every port (ALL_TG_PT). Unit attentions for a registration go to the nexuses this logical unit
 * has seen that match it (every nexus that sent it a command since it logged in).
 */
public final class PersistentReservations implements Reservations {
    private static final Logger log = LoggerFactory.getLogger(PersistentReservations.class);

    public static final int DEFAULT_MAX_REGISTRATIONS = 128;
    /** Larger PERSISTENT RESERVE OUT parameter lists are refused (128 registrations of the longest TransportID fit). */
    static final int MAX_PARAMETER_LIST = 64 * 1024;

    private static final int REGISTER = 0, RESERVE = 1, RELEASE = 2, CLEAR = 3, PREEMPT = 4,
        PREEMPT_AND_ABORT = 5, REGISTER_AND_IGNORE = 6, REGISTER_AND_MOVE = 7;
    private static final ScsiResult CONFLICT = new ScsiResult(ScsiResult.RESERVATION_CONFLICT, null, null);

    private final UnitAttentionSink unitAttentions;
    private final ReservationStore store;
    private final PreemptListener preemptListener;
    private final int maxRegistrations;
    private final ReentrantLock lock = new ReentrantLock();
    private final Set<ItNexus> seen = ConcurrentHashMap.newKeySet();
    private volatile ReservationState state = ReservationState.EMPTY;
    /** The SPC-2 RESERVE holder, or null. */
    private volatile ItNexus reserveHolder;

    /** Reservations without persistence (APTPL refused), no preempt listener, the default registration limit. */
    public PersistentReservations(UnitAttentionSink unitAttentions) {
        this(unitAttentions, null, null, DEFAULT_MAX_REGISTRATIONS);
    }

    /**
     * @param unitAttentions   where RESERVATIONS PREEMPTED / RELEASED and REGISTRATIONS PREEMPTED go
     * @param store            where state is kept while APTPL is set; null refuses APTPL (PTPL_C = 0).
     *                         A saved state is loaded here, as after a power on.
     * @param preemptListener  told which nexuses PREEMPT (AND ABORT) removed; may be null
     * @param maxRegistrations beyond it, REGISTER gets INSUFFICIENT REGISTRATION RESOURCES
     */
    public PersistentReservations(UnitAttentionSink unitAttentions, ReservationStore store,
                                  PreemptListener preemptListener, int maxRegistrations) {
        if (maxRegistrations < 1) {
            throw new IllegalArgumentException("maxRegistrations must be positive");
        }
        this.unitAttentions = unitAttentions;
        this.store = store;
        this.preemptListener = preemptListener;
        this.maxRegistrations = maxRegistrations;
        if (store != null) {
            byte[] saved = store.load();
            if (saved != null) {
                try {
                    state = ReservationCodec.decode(saved);
                } catch (IllegalArgumentException e) {
                    log.warn("ignoring unreadable persistent reservation state: {}", e.getMessage());
                }
            }
        }
    }

    // ---- access checks ------------------------------------------------------------------------

    @Override
    public boolean conflicts(ItNexus nexus, byte[] cdb) {
        if (!seen.contains(nexus)) {
            seen.add(nexus);
        }
        int op = cdb[0] & 0xff;
        ItNexus reserved = reserveHolder;
        if (reserved != null) {
            return conflictsWithReserve(reserved, nexus, op, cdb);
        }
        ReservationState s = state;
        if (s.type() == null) {
            return false;
        }
        Registration r = s.registrationOf(nexus);
        switch (op) {
            // CRH (SPC-4 §5.9.3): RESERVE completes as a no-op for the holder and conflicts for the rest;
            // RELEASE completes as a no-op for registrants and conflicts for the rest.
            case 0x16, 0x56: return !s.isHolder(r);
            case 0x17, 0x57: return r == null;
            default: break;
        }
        CommandAccess access = CommandAccess.of(cdb);
        if (access == CommandAccess.ALLOWED || s.isHolder(r) || (r != null && s.type().registrantsHaveAccess)) {
            return false;
        }
        return access == CommandAccess.WRITE || s.type().exclusiveAccess;
    }

    /**
     * SPC-2 §5.5.1: while a RESERVE is held every PERSISTENT RESERVE IN/OUT conflicts, even from the
     * holder; other nexuses may only ask for identification and sense, and RELEASE (a no-op for them).
     */
    private static boolean conflictsWithReserve(ItNexus holder, ItNexus nexus, int op, byte[] cdb) {
        if (op == 0x5e || op == 0x5f) {
            return true;
        }
        if (holder.equals(nexus)) {
            return false;
        }
        return switch (op) {
            case 0x12, 0xa0, 0x03, 0x17, 0x57 -> false;
            case 0xa3 -> { // REPORT TARGET PORT GROUPS / SUPPORTED OPCODES
                int sa = cdb[1] & 0x1f;
                yield sa != 0x0a && sa != 0x0c;
            }
            default -> true;
        };
    }

    // ---- SPC-2 RESERVE / RELEASE --------------------------------------------------------------

    @Override
    public ScsiResult reserve(ScsiCommand command) {
        ScsiResult bad = checkReserveCdb(command.cdb());
        if (bad != null) {
            return bad;
        }
        ItNexus nexus = command.nexus();
        lock.lock();
        try {
            ReservationState s = state;
            if (s.type() != null) {
                return s.isHolder(s.registrationOf(nexus)) ? ScsiResult.OK : CONFLICT;
            }
            ItNexus holder = reserveHolder;
            if (holder != null && !holder.equals(nexus)) {
                return CONFLICT;
            }
            reserveHolder = nexus;
            return ScsiResult.OK;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public ScsiResult release(ScsiCommand command) {
        ScsiResult bad = checkReserveCdb(command.cdb());
        if (bad != null) {
            return bad;
        }
        ItNexus nexus = command.nexus();
        lock.lock();
        try {
            ReservationState s = state;
            if (s.type() != null) {
                return s.registrationOf(nexus) != null ? ScsiResult.OK : CONFLICT;
            }
            // SPC-2 §7.21: a RELEASE from a nexus that holds nothing completes with GOOD and changes nothing.
            if (nexus.equals(reserveHolder)) {
                reserveHolder = null;
            }
            return ScsiResult.OK;
        } finally {
            lock.unlock();
        }
    }

    /** Third-party and long-id reservations (RESERVE/RELEASE(10) 3RDPTY, LONGID) are not supported. */
    private static ScsiResult checkReserveCdb(byte[] cdb) {
        int op = cdb[0] & 0xff;
        if ((op == 0x56 || op == 0x57) && (cdb[1] & 0x12) != 0) {
            return Sense.check(Sense.invalidField(SenseReason.INVALID_FIELD_IN_CDB, true, 1, (cdb[1] & 0x10) != 0 ? 4 : 1));
        }
        return null;
    }

    @Override
    public void nexusRemoved(ItNexus nexus) {
        lock.lock();
        try {
            if (nexus.equals(reserveHolder)) {
                reserveHolder = null;
            }
            seen.remove(nexus);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void lunReset() {
        lock.lock();
        try {
            reserveHolder = null;
        } finally {
            lock.unlock();
        }
    }

    // ---- PERSISTENT RESERVE IN ----------------------------------------------------------------

    @Override
    public ScsiResult persistentReserveIn(ScsiCommand command) {
        if (reserveHolder != null) {
            return CONFLICT;
        }
        byte[] cdb = command.cdb();
        int sa = cdb[1] & 0x1f;
        int allocation = ((cdb[7] & 0xff) << 8) | (cdb[8] & 0xff);
        ReservationState s = state;
        byte[] data = switch (sa) {
            case 0 -> PrInData.readKeys(s);
            case 1 -> PrInData.readReservation(s);
            case 2 -> PrInData.reportCapabilities(s, store != null);
            case 3 -> PrInData.readFullStatus(s);
            default -> null;
        };
        if (data == null) {
            return Sense.check(Sense.invalidField(SenseReason.INVALID_FIELD_IN_CDB, true, 1, 4));
        }
        int n = Math.min(allocation, data.length);
        if (n == 0) {
            return ScsiResult.OK;
        }
        ByteBuf buf = command.alloc().buffer(n);
        buf.writeBytes(data, 0, n);
        return ScsiResult.good(buf);
    }

    // ---- PERSISTENT RESERVE OUT ---------------------------------------------------------------

    @Override
    public ScsiResult persistentReserveOut(ScsiCommand command) {
        if (reserveHolder != null) {
            return CONFLICT;
        }
        byte[] cdb = command.cdb();
        int sa = cdb[1] & 0x1f;
        if (sa > REGISTER_AND_MOVE) {
            return Sense.check(Sense.invalidField(SenseReason.INVALID_FIELD_IN_CDB, true, 1, 4));
        }
        long length = ((cdb[5] & 0xffL) << 24) | ((cdb[6] & 0xff) << 16) | ((cdb[7] & 0xff) << 8) | (cdb[8] & 0xff);
        int received = command.dataOut() == null ? 0 : command.dataOut().readableBytes();
        if (length > received || length > MAX_PARAMETER_LIST || length < 24) {
            return Sense.check(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        }
        byte[] p = new byte[(int) length];
        command.dataOut().getBytes(command.dataOut().readerIndex(), p);
        Request rq = new Request(command.nexus(), sa, (cdb[2] >>> 4) & 0x0f, cdb[2] & 0x0f, p);

        if (sa != REGISTER_AND_MOVE) {
            boolean specIpt = (p[20] & 0x08) != 0;
            // SPC-4 §6.16.3: without SPEC_I_PT the list is exactly 24 bytes; SPEC_I_PT only for REGISTER.
            if (!specIpt && length != 24) {
                return Sense.check(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
            }
            if (specIpt && sa != REGISTER) {
                return invalidParameter(20, 3);
            }
            if ((sa == REGISTER || sa == REGISTER_AND_IGNORE) && (p[20] & 0x01) != 0 && store == null) {
                return invalidParameter(20, 0); // APTPL with PTPL_C = 0
            }
        }

        lock.lock();
        try {
            Change change = new Change(state);
            ScsiResult result = switch (sa) {
                case REGISTER, REGISTER_AND_IGNORE -> register(rq, change);
                case RESERVE -> reserve(rq, change);
                case RELEASE -> release(rq, change);
                case CLEAR -> clear(rq, change);
                case PREEMPT, PREEMPT_AND_ABORT -> preempt(rq, change);
                default -> registerAndMove(rq, change);
            };
            if (result.status() != ScsiResult.GOOD || change.next == change.before) {
                return result;
            }
            if (!persist(change)) {
                return Sense.check(SenseReason.INTERNAL_TARGET_FAILURE);
            }
            state = change.next;
            deliver(rq.nexus, change, sa == PREEMPT_AND_ABORT, sa == PREEMPT || sa == PREEMPT_AND_ABORT);
            return result;
        } finally {
            lock.unlock();
        }
    }

    /** A decoded PERSISTENT RESERVE OUT. */
    private record Request(ItNexus nexus, int sa, int scope, int typeCode, byte[] p) {
        long key() { return u64(p, 0); }
        long saKey() { return u64(p, 8); }
    }

    /** The next state being built, with the notifications it brings. */
    private static final class Change {
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
    private ScsiResult reserve(Request rq, Change c) {
        ReservationState s = c.before;
        Registration mine = s.registrationOf(rq.nexus);
        if (mine == null || mine.key() != rq.key()) {
            return CONFLICT;
        }
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
    private ScsiResult release(Request rq, Change c) {
        ReservationState s = c.before;
        Registration mine = s.registrationOf(rq.nexus);
        if (mine == null || mine.key() != rq.key()) {
            return CONFLICT;
        }
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
    private ScsiResult clear(Request rq, Change c) {
        ReservationState s = c.before;
        Registration mine = s.registrationOf(rq.nexus);
        if (mine == null || mine.key() != rq.key()) {
            return CONFLICT;
        }
        c.notify(s.registrations(), mine, SenseReason.RESERVATIONS_PREEMPTED);
        c.next = s.with(List.of(), null, null, true);
        return ScsiResult.OK;
    }

    /** PREEMPT and PREEMPT AND ABORT (SPC-4 §5.9.11.4, §5.9.11.5). */
    private ScsiResult preempt(Request rq, Change c) {
        ReservationState s = c.before;
        Registration mine = s.registrationOf(rq.nexus);
        if (mine == null || mine.key() != rq.key()) {
            return CONFLICT;
        }
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
        Registration mine = s.registrationOf(rq.nexus);
        if (mine == null || mine.key() != rq.key()) {
            return CONFLICT;
        }
        boolean unreg = (p[17] & 0x02) != 0;
        boolean aptpl = (p[17] & 0x01) != 0;
        if (aptpl && store == null) {
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

    // ---- commit -------------------------------------------------------------------------------

    /** Saves the next state if APTPL is (or was) in force. False if the store failed; nothing changes then. */
    private boolean persist(Change c) {
        if (store == null || (!c.next.aptpl() && !c.before.aptpl())) {
            return true;
        }
        try {
            if (c.next.aptpl()) {
                store.save(ReservationCodec.encode(c.next));
            } else {
                store.clear();
            }
            return true;
        } catch (RuntimeException e) {
            log.error("could not persist reservation state", e);
            return false;
        }
    }

    private void deliver(ItNexus requester, Change c, boolean abort, boolean preempting) {
        if (!c.notices.isEmpty()) {
            for (ItNexus n : seen) {
                if (n.equals(requester)) {
                    continue;
                }
                for (Map.Entry<Registration, SenseReason> e : c.notices.entrySet()) {
                    if (e.getKey().matches(n)) {
                        unitAttentions.raise(n, e.getValue());
                        break;
                    }
                }
            }
        }
        if (preempting && preemptListener != null) {
            Set<ItNexus> lost = new LinkedHashSet<>();
            for (ItNexus n : seen) {
                if (!n.equals(requester)) {
                    for (Registration r : c.preempted) {
                        if (r.matches(n)) {
                            lost.add(n);
                            break;
                        }
                    }
                }
            }
            preemptListener.preempted(requester, lost, abort);
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static ScsiResult invalidParameter(int byteOffset, int bit) {
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

    /** The current state, for tests and diagnostics. */
    ReservationState snapshot() {
        return state;
    }
}
