package io.depot.appliance.schedule;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's timer for retention schedules: runs whatever is due, then waits until the next
 * schedule is due, but never more than a minute, so a schedule made meanwhile through the API is
 * not missed by more than that.
 */
public final class ScheduleRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ScheduleRunner.class);
    private static final Duration MAX_WAIT = Duration.ofMinutes(1);

    private final Scheduler scheduler;
    private final Clock clock;
    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "depot-scheduler");
        t.setDaemon(true);
        return t;
    });

    private ScheduleRunner(Scheduler scheduler, Clock clock) {
        this.scheduler = scheduler;
        this.clock = clock;
        // at shutdown the next tick is dropped; a run in progress finishes
        timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    public static ScheduleRunner start(Scheduler scheduler, Clock clock) {
        ScheduleRunner r = new ScheduleRunner(scheduler, clock);
        r.timer.execute(r::tick);
        return r;
    }

    private void tick() {
        Duration wait = MAX_WAIT;
        try {
            scheduler.runDue(clock.instant());
            Instant next = scheduler.nextDue();
            if (next != null) {
                wait = Duration.between(clock.instant(), next).plusMillis(50);
            }
        } catch (Exception e) {
            log.error("running due snapshot schedules failed", e);
        }
        long ms = Math.max(1000, Math.min(MAX_WAIT.toMillis(), wait.toMillis()));
        if (!timer.isShutdown()) {
            timer.schedule(this::tick, ms, TimeUnit.MILLISECONDS);
        }
    }

    /** Stops the timer, letting a run in progress finish. */
    @Override
    public void close() {
        timer.shutdown();
        try {
            if (!timer.awaitTermination(30, TimeUnit.SECONDS)) {
                timer.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
