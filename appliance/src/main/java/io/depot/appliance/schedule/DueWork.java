package io.depot.appliance.schedule;

import java.time.Instant;

/** Something the {@link ScheduleRunner} runs when due: the snapshot schedules, the scrub schedule. */
public interface DueWork {
    /** Runs whatever is due at {@code now}. */
    void runDue(Instant now) throws Exception;

    /** When something is due next, or null if nothing is scheduled. */
    Instant nextDue();
}
