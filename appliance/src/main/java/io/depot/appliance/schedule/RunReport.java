package io.depot.appliance.schedule;

import java.util.List;

/**
 * What one run of a schedule did: the snapshots it took ("vol@snap"), the old ones it deleted, the
 * old ones it had to keep (served on a LUN, or with linked clones: deleting them would break a user)
 * and, if the run failed, why. {@code at}: ISO-8601, UTC.
 */
public record RunReport(String at, List<String> taken, List<String> pruned, List<Held> held, String error) {
    /** A snapshot past the schedule's keep count that stays, and why. */
    public record Held(String snapshot, String reason) {}
}
