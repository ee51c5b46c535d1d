package io.depot.appliance.api;

import io.depot.appliance.daemon.Appliance;
import io.depot.appliance.scrub.ScrubReport;
import io.depot.appliance.scrub.ScrubSchedule;
import io.depot.appliance.scrub.ScrubScheduler;
import io.depot.engine.Pool;
import io.depot.engine.ScrubStatus;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code /api/v1/scrub}: start ({@code POST}, optional {@code bandwidth} in bytes/s or "100M"),
 * status and report ({@code GET}), cancel ({@code DELETE}), resume ({@code POST .../resume}), and the
 * pool's scrub schedule ({@code /api/v1/scrub/schedule}). {@code /api/v1/pool/upgrade}: the online
 * upgrade of format-1 data (the same walk, which also checksums what has no checksums;
 * its status is {@code GET /api/v1/scrub}).
 */
final class ScrubResource {
    private final Appliance appliance;
    private final ScrubScheduler schedule;
    private final Clock clock;

    ScrubResource(Appliance appliance, Clock clock) {
        this.appliance = appliance;
        this.schedule = new ScrubScheduler(appliance.pool());
        this.clock = clock;
    }

    void register(Router r) {
        r.add("POST", "/api/v1/scrub", req -> start(req, ScrubStatus.Mode.SCRUB));
        r.add("GET", "/api/v1/scrub", req -> Response.ok(report()));
        r.add("DELETE", "/api/v1/scrub", this::cancel);
        r.add("POST", "/api/v1/scrub/resume", this::resume);
        r.add("GET", "/api/v1/scrub/schedule", req -> Response.ok(scheduleView(requireSchedule())));
        r.add("PUT", "/api/v1/scrub/schedule", this::setSchedule);
        r.add("DELETE", "/api/v1/scrub/schedule", this::deleteSchedule);
        r.add("POST", "/api/v1/pool/upgrade", req -> start(req, ScrubStatus.Mode.UPGRADE));
    }

    private ScrubReport report() { return ScrubReport.of(appliance, appliance.pool().scrubStatus()); }

    private Response start(Request req, ScrubStatus.Mode mode) {
        Pool pool = appliance.pool();
        long bandwidth = bandwidth(req);
        synchronized (this) {
            refuseIfRunning(pool);
            if (mode == ScrubStatus.Mode.UPGRADE) {
                pool.upgrade(bandwidth);
            } else {
                pool.scrub(bandwidth);
            }
        }
        return Response.accepted("/api/v1/scrub", report());
    }

    private Response resume(Request req) {
        Pool pool = appliance.pool();
        synchronized (this) {
            refuseIfRunning(pool);
            ScrubStatus.State state = pool.scrubStatus().state();
            if (state != ScrubStatus.State.CANCELLED && state != ScrubStatus.State.FAILED) {
                throw ApiException.conflict("nothing-to-resume", "no cancelled or failed scrub to resume (last: "
                        + state.name().toLowerCase() + ")");
            }
            pool.resumeScrub();
        }
        return Response.accepted("/api/v1/scrub", report());
    }

    private Response cancel(Request req) {
        if (!appliance.pool().cancelScrub()) {
            throw ApiException.conflict("not-running", "no scrub or upgrade is running");
        }
        return Response.ok(report());
    }

    private static void refuseIfRunning(Pool pool) {
        ScrubStatus s = pool.scrubStatus();
        if (s.running()) {
            throw ApiException.conflict("scrub-running", "a " + (s.mode() == ScrubStatus.Mode.UPGRADE ? "format upgrade" : "scrub")
                    + " is running (" + (s.clustersChecked() + s.clustersUpgraded()) + " of " + s.clustersTotal()
                    + " clusters); cancel it first");
        }
    }

    /** {@code bandwidth}: bytes/s as a number or a size ("100M" = 100 MiB/s); 0 unlimited; absent: the default. */
    private static long bandwidth(Request req) {
        req.requireObject();
        Long b = req.optionalSize("bandwidth");
        return b == null ? ScrubStatus.DEFAULT_BANDWIDTH : b;
    }

    private ScrubSchedule requireSchedule() {
        ScrubSchedule s = schedule.get();
        if (s == null) {
            throw ApiException.notFound("no scrub schedule (set one with PUT /api/v1/scrub/schedule)");
        }
        return s;
    }

    /** {@code {"every": "weekly", "bandwidth"?: "100M"}}. */
    private Response setSchedule(Request req) {
        req.requireObject();
        String every = req.requiredText("every");
        try {
            return Response.ok(scheduleView(schedule.set(every, bandwidth(req), clock.instant())));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    private Response deleteSchedule(Request req) throws Exception {
        if (!schedule.delete()) {
            throw ApiException.notFound("no scrub schedule");
        }
        return Response.noContent();
    }

    private Map<String, Object> scheduleView(ScrubSchedule s) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("every", s.every());
        v.put("intervalSeconds", s.seconds());
        v.put("bandwidth", s.bandwidth());
        v.put("createdAt", s.createdAt());
        v.put("nextRun", s.nextRun().toString());
        v.put("lastRunAt", s.lastRunAt());
        v.put("lastRunNote", s.lastRunNote());
        ScrubStatus last = appliance.pool().scrubStatus();
        v.put("lastScrub", last.started() == null ? null : Map.of("state", last.state().name().toLowerCase(),
                "started", last.started().toString(), "damagedBlocks", last.damagedBlocks(), "durationSeconds", last.duration().toMillis() / 1000.0));
        return v;
    }
}
