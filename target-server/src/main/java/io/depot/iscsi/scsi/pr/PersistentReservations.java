package io.depot.iscsi.scsi.pr;

import static io.depot.iscsi.scsi.pr.ReserveOutActions.CONFLICT;
import static io.depot.iscsi.scsi.pr.ReserveOutActions.PREEMPT;
import static io.depot.iscsi.scsi.pr.ReserveOutActions.PREEMPT_AND_ABORT;
import static io.depot.iscsi.scsi.pr.ReserveOutActions.REGISTER;
import static io.depot.iscsi.scsi.pr.ReserveOutActions.REGISTER_AND_IGNORE;
import static io.depot.iscsi.scsi.pr.ReserveOutActions.REGISTER_AND_MOVE;
import static io.depot.iscsi.scsi.pr.ReserveOutActions.invalidParameter;
import static io.depot.iscsi.scsi.pr.ReserveOutActions.u32;

import io.depot.iscsi.scsi.ItNexus;
import io.depot.iscsi.scsi.Reservations;
import io.depot.iscsi.scsi.ScsiCommand;
import io.depot.iscsi.scsi.ScsiResult;
import io.depot.iscsi.scsi.Sense;
import io.depot.iscsi.scsi.SenseReason;
import io.depot.iscsi.scsi.pr.ReserveOutActions.Change;
import io.depot.iscsi.scsi.pr.ReserveOutActions.Request;
import io.netty.buffer.ByteBuf;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiFunction;
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


    private final UnitAttentionSink unitAttentions;
    private final ReservationStore store;
    private final PreemptListener preemptListener;
    private final ReserveOutActions actions;
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
        this.actions = new ReserveOutActions(store != null, maxRegistrations);
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
        return reserveOrRelease(command, (s, nexus) -> {
            if (s.type() != null) {
                return s.isHolder(s.registrationOf(nexus)) ? ScsiResult.OK : CONFLICT;
            }
            ItNexus holder = reserveHolder;
            if (holder != null && !holder.equals(nexus)) {
                return CONFLICT;
            }
            reserveHolder = nexus;
            return ScsiResult.OK;
        });
    }

    @Override
    public ScsiResult release(ScsiCommand command) {
        return reserveOrRelease(command, (s, nexus) -> {
            if (s.type() != null) {
                return s.registrationOf(nexus) != null ? ScsiResult.OK : CONFLICT;
            }
            // SPC-2 §7.21: a RELEASE from a nexus that holds nothing completes with GOOD and changes nothing.
            if (nexus.equals(reserveHolder)) {
                reserveHolder = null;
            }
            return ScsiResult.OK;
        });
    }

    /** Checks the CDB, then decides under the lock; under a persistent reservation CRH applies (SPC-4 §5.9.3). */
    private ScsiResult reserveOrRelease(ScsiCommand command, BiFunction<ReservationState, ItNexus, ScsiResult> decide) {
        ScsiResult bad = checkReserveCdb(command.cdb());
        if (bad != null) {
            return bad;
        }
        lock.lock();
        try {
            return decide.apply(state, command.nexus());
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
        long length = u32(cdb, 5);
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
            ScsiResult result = actions.apply(rq, change);
            if (result.status() != ScsiResult.GOOD || change.next == change.before) {
                return result;
            }
            if (!persist(change)) {
                return Sense.check(SenseReason.INTERNAL_TARGET_FAILURE);
            }
            state = change.next;
            deliver(rq.nexus(), change, sa == PREEMPT_AND_ABORT, sa == PREEMPT || sa == PREEMPT_AND_ABORT);
            return result;
        } finally {
            lock.unlock();
        }
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

    /** The current state, for tests and diagnostics. */
    ReservationState snapshot() {
        return state;
    }
}
