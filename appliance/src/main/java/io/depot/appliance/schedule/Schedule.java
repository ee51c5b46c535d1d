package io.depot.appliance.schedule;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A retention schedule as stored in the pool's catalog (namespace {@code schedule}, key {@code <name>}, JSON): snapshot
 * these volumes (several: one consistency group) every {@code every}, keep the newest {@code keep}.
 * {@code taken} lists the snapshots it took that still exist, oldest first: only those are ever
 * pruned, so snapshots taken by hand are never touched.
 *
 * @param volumeNames the volumes' names when the schedule was made, for messages once one is gone
 * @param createdAt when it was made (ISO-8601, UTC)
 * @param lastSlot the last interval slot it ran in (see {@link Interval#slot})
 */
public record Schedule(String name, List<UUID> volumes, List<String> volumeNames, String every, long seconds, int keep,
                       String createdAt, long lastSlot, List<Taken> taken, RunReport lastRun) {
    /** A snapshot the schedule took. */
    public record Taken(UUID volume, UUID snapshot, String name) {}

    public Interval interval() { return new Interval(every, seconds); }

    /** When it runs next. */
    public Instant nextRun() { return interval().start(lastSlot + 1); }

    Schedule withRun(long slot, List<Taken> stillTaken, RunReport report) {
        return new Schedule(name, volumes, volumeNames, every, seconds, keep, createdAt, slot, stillTaken, report);
    }
}
