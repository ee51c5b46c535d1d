package io.depot.appliance.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.appliance.daemon.Appliance;
import io.depot.engine.NoSuchVolumeException;
import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retention schedules on a real pool, with time passed in: nothing sleeps. */
class SchedulerTest {
    @TempDir
    Path dir;
    private Pool pool;
    private Scheduler scheduler;
    private Volume vm1;

    @BeforeEach
    void open() {
        pool = Pool.create(dir.resolve("pool"), PoolOptions.ofCapacity(64L << 20));
        scheduler = new Scheduler(new Appliance(pool, null, null));
        vm1 = pool.createVolume("vm1", 1 << 20);
    }

    @AfterEach
    void close() {
        pool.close();
    }

    private static Instant at(String time) { return Instant.parse("2026-03-10T" + time + ":00Z"); }

    private List<String> snapshots(Volume v) {
        return v.snapshots().stream().map(Snapshot::name).toList();
    }

    @Test
    void hourlyKeep3TakesASnapshotEachHourAndPrunesOnlyItsOwnOldest() throws Exception {
        Schedule s = scheduler.create(null, List.of("vm1"), "hourly", 3, at("10:20"));
        assertEquals("vm1-hourly", s.name());
        assertEquals(at("11:00"), s.nextRun());
        assertEquals(List.of(), scheduler.runDue(at("10:59")));
        assertEquals(1, scheduler.runDue(at("11:00")).size());
        assertEquals(List.of("vm1-hourly-20260310T110000Z"), snapshots(vm1));
        assertEquals(List.of(), scheduler.runDue(at("11:30")), "one run per slot");
        vm1.createSnapshot("by-hand");
        for (String t : new String[] {"12:00", "13:00", "14:01"}) {
            scheduler.runDue(at(t));
        }
        assertEquals(List.of("by-hand", "vm1-hourly-20260310T120000Z", "vm1-hourly-20260310T130000Z",
                "vm1-hourly-20260310T140100Z"), snapshots(vm1));
        RunReport last = scheduler.get("vm1-hourly").lastRun();
        assertEquals(List.of("vm1@vm1-hourly-20260310T140100Z"), last.taken());
        assertEquals(List.of("vm1@vm1-hourly-20260310T110000Z"), last.pruned());
        assertNull(last.error());
        // the daemon was down from 14:01 to 20:05: one catch-up run, not six
        assertEquals(1, scheduler.runDue(at("20:05")).size());
        assertEquals(at("21:00"), scheduler.nextDue());
        assertEquals(4, vm1.snapshots().size());
        assertTrue(snapshots(vm1).contains("by-hand"));
    }

    @Test
    void aSnapshotWithAClonePastTheKeepCountIsHeldAndReportedThenPrunedOnceFree() throws Exception {
        scheduler.create("nightly", List.of("vm1"), "daily", 1, at("10:00"));
        scheduler.runDue(Instant.parse("2026-03-11T00:00:00Z"));
        Snapshot first = vm1.snapshots().get(0);
        Volume clone = first.linkedClone("test-restore");
        scheduler.runDue(Instant.parse("2026-03-12T00:00:00Z"));
        RunReport r = scheduler.get("nightly").lastRun();
        assertEquals(List.of(), r.pruned());
        assertEquals(1, r.held().size());
        assertEquals(first.toString(), r.held().get(0).snapshot());
        assertTrue(r.held().get(0).reason().contains("test-restore"), r.held().get(0).reason());
        assertEquals(2, vm1.snapshots().size());
        clone.delete();
        scheduler.runDue(Instant.parse("2026-03-13T00:00:00Z"));
        assertEquals(List.of("nightly-20260313T000000Z"), snapshots(vm1));
    }

    @Test
    void aGroupScheduleSnapshotsItsVolumesAtOneInstantAndPrunesEach() throws Exception {
        Volume db = pool.createVolume("db", 1 << 20);
        assertThrows(ScheduleException.class, () -> scheduler.create(null, List.of("vm1", "db"), "15m", 2, at("10:00")));
        scheduler.create("app", List.of("vm1", "db"), "15m", 2, at("10:00"));
        for (String t : new String[] {"10:15", "10:30", "10:45"}) {
            scheduler.runDue(at(t));
        }
        assertEquals(List.of("app-20260310T103000Z", "app-20260310T104500Z"), snapshots(vm1));
        assertEquals(snapshots(vm1), snapshots(db));
        assertEquals(vm1.snapshots().get(1).groupId(), db.snapshots().get(1).groupId());
        assertEquals(4, scheduler.get("app").taken().size());
    }

    @Test
    void forcedRunsInOneSecondGetDistinctNamesAndCountForTheSlot() throws Exception {
        scheduler.create("x", List.of("vm1"), "hourly", 5, at("10:00"));
        scheduler.run("x", at("10:30"));
        scheduler.run("x", at("10:30"));
        assertEquals(List.of("x-20260310T103000Z", "x-20260310T103000Z-2"), snapshots(vm1));
        assertEquals(List.of(), scheduler.runDue(at("10:59")));
    }

    @Test
    void badRequestsAreRefusedWithTheirReason() throws Exception {
        assertEquals(ScheduleException.Kind.BAD_INPUT, assertThrows(ScheduleException.class,
                () -> scheduler.create(null, List.of("vm1"), "fortnightly", 3, at("10:00"))).kind());
        assertEquals(ScheduleException.Kind.BAD_INPUT, assertThrows(ScheduleException.class,
                () -> scheduler.create(null, List.of("vm1"), "30s", 3, at("10:00"))).kind());
        assertEquals(ScheduleException.Kind.BAD_INPUT, assertThrows(ScheduleException.class,
                () -> scheduler.create(null, List.of("vm1"), "daily", 0, at("10:00"))).kind());
        assertThrows(NoSuchVolumeException.class, () -> scheduler.create(null, List.of("nope"), "daily", 1, at("10:00")));
        scheduler.create(null, List.of("vm1"), "daily", 1, at("10:00"));
        assertEquals(ScheduleException.Kind.NAME_IN_USE, assertThrows(ScheduleException.class,
                () -> scheduler.create(null, List.of("vm1"), "daily", 7, at("10:00"))).kind());
        assertEquals(ScheduleException.Kind.NOT_FOUND, assertThrows(ScheduleException.class,
                () -> scheduler.run("nope", at("10:00"))).kind());
    }

    @Test
    void aScheduleWhoseVolumeIsGoneReportsItAndSchedulesSurviveAReopen() throws Exception {
        scheduler.create(null, List.of("vm1"), "weekly", 4, at("10:00"));
        // 2026-03-10 is a Tuesday: weekly slots begin on Mondays at midnight UTC
        assertEquals(Instant.parse("2026-03-16T00:00:00Z"), scheduler.get("vm1-weekly").nextRun());
        pool.close();
        pool = Pool.open(dir.resolve("pool"));
        scheduler = new Scheduler(new Appliance(pool, null, null));
        assertEquals(List.of("vm1-weekly"), scheduler.list().stream().map(Schedule::name).toList());
        pool.volume("vm1").delete();
        RunReport r = scheduler.runDue(Instant.parse("2026-03-16T00:00:00Z")).get(0);
        assertTrue(r.error().contains("vm1") && r.error().contains("no longer exists"), r.error());
        scheduler.delete("vm1-weekly");
        assertEquals(List.of(), scheduler.list());
    }
}
