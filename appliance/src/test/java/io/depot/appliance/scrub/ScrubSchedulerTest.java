package io.depot.appliance.scrub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.ScrubStatus;
import io.depot.engine.Volume;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scrub schedule on a real pool: stored in its catalog, due on the interval's UTC boundaries, run once per slot. */
class ScrubSchedulerTest {
    @TempDir Path dir;

    @Test
    void aWeeklyScheduleStartsOneScrubPerSlotAndSurvivesAReopen() throws Exception {
        Instant now = Instant.parse("2026-12-08T10:00:00Z");   // a Tuesday
        Path poolDir = dir.resolve("pool");
        try (Pool pool = Pool.create(poolDir, PoolOptions.ofCapacity(64L << 20))) {
            Volume v = pool.createVolume("v", 8L << 20);
            v.write(0, ByteBuffer.allocate(1 << 20));
            ScrubScheduler scheduler = new ScrubScheduler(pool);
            assertNull(scheduler.get());
            assertThrows(IllegalArgumentException.class, () -> scheduler.set("fortnightly-ish", 0, now));

            ScrubSchedule s = scheduler.set("weekly", 0, now);
            assertEquals(Instant.parse("2026-12-14T00:00:00Z"), s.nextRun());
            assertEquals(DayOfWeek.MONDAY, s.nextRun().atZone(ZoneOffset.UTC).getDayOfWeek());

            scheduler.runDue(now.plus(Duration.ofHours(1)));
            assertEquals(ScrubStatus.State.NEVER, pool.scrubStatus().state(), "not due before Monday");

            scheduler.runDue(s.nextRun().plusSeconds(5));
            assertFalse(pool.scrubStatus().state() == ScrubStatus.State.NEVER, "due on Monday: a scrub started");
            ScrubStatus first = pool.awaitScrub(Duration.ofMinutes(1));
            assertEquals(ScrubStatus.State.DONE, first.state());
            ScrubSchedule ran = scheduler.get();
            assertEquals("started", ran.lastRunNote());
            assertEquals(Instant.parse("2026-12-21T00:00:00Z"), ran.nextRun());

            scheduler.runDue(s.nextRun().plus(Duration.ofHours(3)));
            assertEquals(first.started(), pool.scrubStatus().started(), "one scrub per slot");
        }
        try (Pool pool = Pool.open(poolDir)) {
            ScrubScheduler scheduler = new ScrubScheduler(pool);
            ScrubSchedule kept = scheduler.get();
            assertEquals("weekly", kept.every());
            assertEquals(Instant.parse("2026-12-21T00:00:00Z"), kept.nextRun());
            assertTrue(scheduler.delete());
            assertNull(scheduler.get());
            assertFalse(scheduler.delete());
        }
    }
}
