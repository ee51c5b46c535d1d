package io.depot.iscsi.scsi.pr;

import java.util.List;

/**
 * One immutable snapshot of a logical unit's persistent reservation state. Commands read the
 * current snapshot without locking; PERSISTENT RESERVE OUT builds a new one under a lock.
 *
 * @param registrations registrations in the order they were made (no two name the same I_T nexus)
 * @param type          the persistent reservation's type, or null when there is none
 * @param holder        the holding registration; null for all-registrants types and when unreserved
 * @param generation    PRgeneration (SPC-4 §6.15.2)
 * @param aptpl         the APTPL bit of the last REGISTER, REGISTER AND IGNORE or REGISTER AND MOVE
 */
record ReservationState(List<Registration> registrations, ReservationType type, Registration holder,
                        int generation, boolean aptpl) {

    static final ReservationState EMPTY = new ReservationState(List.of(), null, null, 0, false);

    ReservationState {
        registrations = List.copyOf(registrations);
    }

    boolean reserved() { return type != null; }

    boolean quiet() { return type == null && registrations.isEmpty(); }

    Registration registrationOf(io.depot.iscsi.scsi.ItNexus nexus) {
        for (Registration r : registrations) {
            if (r.matches(nexus)) {
                return r;
            }
        }
        return null;
    }

    boolean isHolder(Registration r) {
        return r != null && type != null && (type.allRegistrants() || r.equals(holder));
    }

    ReservationState with(List<Registration> regs, ReservationType newType, Registration newHolder, boolean bumpGeneration) {
        return new ReservationState(regs, newType, newHolder, bumpGeneration ? generation + 1 : generation, aptpl);
    }

    ReservationState withAptpl(boolean value) {
        return new ReservationState(registrations, type, holder, generation, value);
    }
}
