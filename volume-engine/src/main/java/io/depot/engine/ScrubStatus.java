package io.depot.engine;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The pool's current or last scrub ({@link Pool#scrubStatus()}), kept in the pool so it survives a
 * restart (a scrub running when the pool closed resumes when it opens).
 *
 * @param state             where it is
 * @param mode              a verifying scrub, or an upgrade that also checksums format-1 data
 * @param clustersChecked   clusters whose blocks were verified against their checksums
 * @param bytesChecked      bytes read and verified
 * @param clustersUnverified clusters read that had no checksums (format-1 data; a scrub cannot verify them)
 * @param clustersUpgraded  format-1 clusters given checksums (upgrade only)
 * @param clustersTotal     allocated clusters when the scrub started (or resumed): what it will read
 * @param damagedBlocks     damaged 4 KiB blocks found
 * @param findings          the damaged extents found, with their references (at most {@link #MAX_FINDINGS})
 * @param bandwidthBytesPerSecond the read cap (0: unlimited)
 * @param started           when it started (null if never)
 * @param ended             when it ended (null while running or never run)
 */
public record ScrubStatus(State state, Mode mode, long clustersChecked, long bytesChecked, long clustersUnverified,
                          long clustersUpgraded, long clustersTotal, long damagedBlocks, List<ScrubFinding> findings,
                          long bandwidthBytesPerSecond, Instant started, Instant ended) {
    /** Findings kept in the report (the damage ledger keeps every damaged block). */
    public static final int MAX_FINDINGS = 1000;
    /** The default read cap: 200 MiB/s. */
    public static final long DEFAULT_BANDWIDTH = 200L << 20;

    /** Where a scrub is. */
    public enum State {
        /** No scrub has run on this pool. */
        NEVER,
        RUNNING,
        /** Read every allocated cluster. */
        DONE,
        /** Stopped by {@link Pool#cancelScrub()}; {@link Pool#resumeScrub()} continues it. */
        CANCELLED,
        /** Stopped by an error (see the log); {@link Pool#resumeScrub()} retries from where it was. */
        FAILED
    }

    /** What the walk does. */
    public enum Mode {
        /** Verify every checksummed block. */
        SCRUB,
        /** Verify, and give format-1 data its checksums. */
        UPGRADE
    }

    public ScrubStatus {
        findings = List.copyOf(findings);
    }

    /** How long it ran (until now while running), or zero if it never started. */
    public Duration duration() {
        if (started == null) {
            return Duration.ZERO;
        }
        return Duration.between(started, ended != null ? ended : Instant.now());
    }

    public boolean running() { return state == State.RUNNING; }

    /** The status before any scrub. */
    public static ScrubStatus never() {
        return new ScrubStatus(State.NEVER, Mode.SCRUB, 0, 0, 0, 0, 0, 0, List.of(), 0, null, null);
    }
}
