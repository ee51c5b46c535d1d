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

    private final java.util.List<DueWork> work;
    private final Clock clock;
    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "depot-scheduler");
        t.setDaemon(true);
        return t;
    });

    private ScheduleRunner(java.util.List<DueWork> work, Clock clock) {
        this.work = work;
        this.clock = clock;
        // at shutdown the next tick is dropped; a run in progress finishes
        timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    public static ScheduleRunner start(Scheduler scheduler, Clock clock, DueWork... more) {
        java.util.List<DueWork> work = new java.util.ArrayList<>();
        work.add(new DueWork() {
            @Override
            public void runDue(Instant now) throws Exception { scheduler.runDue(now); }

            @Override
            public Instant nextDue() { return scheduler.nextDue(); }
        });
        work.addAll(java.util.List.of(more));
        ScheduleRunner r = new ScheduleRunner(work, clock);
        r.timer.execute(r::tick);
        return r;
    }

    private void tick() {
        Duration wait = MAX_WAIT;
        for (DueWork w : work) {
            try {
                w.runDue(clock.instant());
                Instant next = w.nextDue();
                if (next != null) {
                    Duration until = Duration.between(clock.instant(), next).plusMillis(50);
                    wait = until.compareTo(wait) < 0 ? until : wait;
                }
            } catch (Exception e) {
                log.error("running due schedules failed", e);
            }
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
