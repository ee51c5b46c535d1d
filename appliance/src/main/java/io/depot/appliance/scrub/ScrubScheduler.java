package io.depot.appliance.scrub;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.depot.appliance.schedule.DueWork;
import io.depot.appliance.schedule.Interval;
import io.depot.engine.CatalogNamespace;
import io.depot.engine.Pool;
import io.depot.engine.ScrubStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the pool's {@link ScrubSchedule}: when its next slot has begun and no scrub is running, starts
 * one. Called by the daemon's {@link io.depot.appliance.schedule.ScheduleRunner} with the snapshot
 * schedules. A slot missed while the daemon was down runs once at the next start, like snapshots.
 */
public final class ScrubScheduler implements DueWork {
    private static final Logger log = LoggerFactory.getLogger(ScrubScheduler.class);
    static final String NAMESPACE = "scrub";
    static final String KEY = "schedule";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Pool pool;

    public ScrubScheduler(Pool pool) {
        this.pool = pool;
    }

    /** Sets the schedule (replacing any), first due at the next boundary of {@code every}. */
    public synchronized ScrubSchedule set(String every, long bandwidth, Instant now) {
        Interval i = Interval.parse(every);
        if (bandwidth < 0) {
            throw new IllegalArgumentException("bandwidth must be 0 (unlimited) or positive");
        }
        ScrubSchedule s = new ScrubSchedule(i.text(), i.seconds(), bandwidth, now.toString(), i.slot(now), null, null);
        save(s);
        log.info("scrub schedule set: every {}, bandwidth {} bytes/s, next at {}", i.text(), bandwidth, s.nextRun());
        return s;
    }

    /** The schedule, or null if none. */
    public synchronized ScrubSchedule get() {
        byte[] raw = stored().get(KEY);
        if (raw == null) {
            return null;
        }
        try {
            return JSON.readValue(raw, ScrubSchedule.class);
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable scrub schedule", e);
        }
    }

    /** Removes the schedule; false if there was none. */
    public synchronized boolean delete() throws Exception {
        if (get() == null) {
            return false;
        }
        stored().delete(KEY);
        return true;
    }

    @Override
    public synchronized void runDue(Instant now) {
        ScrubSchedule s = get();
        if (s == null || s.interval().slot(now) <= s.lastSlot()) {
            return;
        }
        String note;
        if (pool.scrubStatus().running()) {
            note = "skipped: a scrub or upgrade was running";
        } else {
            ScrubStatus.State before = pool.scrubStatus().state();
            pool.scrub(s.bandwidth());
            note = "started" + (before == ScrubStatus.State.CANCELLED ? " (the cancelled scrub was restarted from the beginning)" : "");
        }
        log.info("scheduled scrub (every {}): {}", s.every(), note);
        save(s.ran(s.interval().slot(now), now, note));
    }

    @Override
    public synchronized Instant nextDue() {
        ScrubSchedule s = get();
        return s == null ? null : s.nextRun();
    }

    private void save(ScrubSchedule s) {
        try {
            stored().put(KEY, JSON.writeValueAsBytes(s));
        } catch (Exception e) {
            throw new IllegalStateException("cannot store the scrub schedule: " + e.getMessage(), e);
        }
    }

    private CatalogNamespace<byte[]> stored() { return pool.catalog().namespace(NAMESPACE); }
}
