package io.depot.appliance.scrub;

import io.depot.appliance.schedule.Interval;
import java.time.Instant;

/**
 * The pool's scrub schedule, as stored in its catalog (namespace {@code scrub}, key {@code schedule},
 * JSON): scrub every {@code every} (on the interval's UTC boundaries, e.g. weekly on Mondays at
 * midnight), reading at most {@code bandwidth} bytes/s. One per pool.
 *
 * @param lastSlot  the last interval slot it ran in (see {@link Interval#slot})
 * @param lastRunAt when it last started a scrub (null: never)
 * @param lastRunNote what that run did ("started", or why it did not: a scrub was already running)
 */
public record ScrubSchedule(String every, long seconds, long bandwidth, String createdAt, long lastSlot, String lastRunAt,
                            String lastRunNote) {
    public Interval interval() { return new Interval(every, seconds); }

    /** When it runs next. */
    public Instant nextRun() { return interval().start(lastSlot + 1); }

    ScrubSchedule ran(long slot, Instant at, String note) {
        return new ScrubSchedule(every, seconds, bandwidth, createdAt, slot, at.toString(), note);
    }
}
