package io.depot.appliance.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.depot.appliance.daemon.Appliance;
import io.depot.appliance.schedule.RunReport;
import io.depot.appliance.schedule.Schedule;
import io.depot.appliance.schedule.ScheduleException;
import io.depot.appliance.schedule.Scheduler;
import io.depot.engine.NoSuchVolumeException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code /api/v1/schedules}: retention schedules ("hourly, keep 24") of a volume or a consistency
 * group; {@code POST /api/v1/schedules/{s}/run} runs one now (for a test, or a snapshot before
 * maintenance that still counts toward the schedule's retention).
 */
final class ScheduleResource {
    private final Appliance appliance;
    private final Scheduler scheduler;
    private final Clock clock;

    ScheduleResource(Appliance appliance, Clock clock) {
        this.appliance = appliance;
        this.scheduler = new Scheduler(appliance);
        this.clock = clock;
    }

    void register(Router r) {
        r.add("GET", "/api/v1/schedules", this::list);
        r.add("POST", "/api/v1/schedules", this::create);
        r.add("GET", "/api/v1/schedules/{schedule}", req -> call(() -> Response.ok(view(scheduler.get(req.param("schedule"))))));
        r.add("DELETE", "/api/v1/schedules/{schedule}", this::delete);
        r.add("POST", "/api/v1/schedules/{schedule}/run", this::run);
    }

    /** {@code snapshots}: the ones it took that still exist, oldest first, as "volume@snapshot". */
    record ScheduleView(String name, List<String> volumes, String every, long intervalSeconds, int keep, String createdAt,
                        String nextRun, List<String> snapshots, RunReport lastRun) {}

    private Response list(Request req) {
        return Response.ok(scheduler.list().stream().map(this::view).toList());
    }

    /** {@code {"volumes": ["db", "logs"] | "volume": "vm1", "every": "hourly", "keep": 24, "name"?}}. */
    private Response create(Request req) throws Exception {
        req.requireObject();
        List<String> volumes = new ArrayList<>();
        String one = req.optionalText("volume");
        JsonNode many = req.body().get("volumes");
        if (one != null) {
            volumes.add(one);
        }
        if (many != null && !many.isNull()) {
            if (!many.isArray()) {
                throw ApiException.badRequest("field 'volumes' must be an array of volume names");
            }
            for (JsonNode n : many) {
                if (!n.isTextual()) {
                    throw ApiException.badRequest("field 'volumes' must hold volume names (strings)");
                }
                volumes.add(n.textValue());
            }
        }
        if (volumes.isEmpty()) {
            throw ApiException.badRequest("field 'volume' (one volume) or 'volumes' (a consistency group) is required");
        }
        for (String v : volumes) {
            if (appliance.isNfsFileVolume(v)) {
                throw ApiException.conflict("nfs-owned", v + " is a file of the NFS gateway; manage it over NFS");
            }
        }
        String every = req.requiredText("every");
        JsonNode keep = req.body().get("keep");
        if (keep == null || !keep.canConvertToInt() || !keep.isIntegralNumber()) {
            throw ApiException.badRequest("field 'keep' is required: how many of the schedule's snapshots to keep (an integer)");
        }
        String name = req.optionalText("name");
        return call(() -> {
            Schedule s = scheduler.create(name, volumes, every, keep.intValue(), clock.instant());
            return Response.created("/api/v1/schedules/" + s.name(), view(s));
        });
    }

    /** The schedule goes; the snapshots it took stay. */
    private Response delete(Request req) throws Exception {
        return call(() -> {
            scheduler.delete(req.param("schedule"));
            return Response.noContent();
        });
    }

    private Response run(Request req) throws Exception {
        return call(() -> {
            RunReport r = scheduler.run(req.param("schedule"), clock.instant());
            if (r.error() != null) {
                throw ApiException.conflict("schedule-failed", "schedule " + req.param("schedule") + " failed: " + r.error());
            }
            return Response.ok(view(scheduler.get(req.param("schedule"))));
        });
    }

    private ScheduleView view(Schedule s) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < s.volumes().size(); i++) {
            names.add(currentName(s.volumes().get(i), s.volumeNames().get(i)));
        }
        List<String> snaps = new ArrayList<>();
        for (Schedule.Taken t : s.taken()) {
            snaps.add(currentName(t.volume(), "?") + "@" + t.name());
        }
        return new ScheduleView(s.name(), names, s.every(), s.seconds(), s.keep(), s.createdAt(), s.nextRun().toString(), snaps,
                s.lastRun());
    }

    /** A volume's name today (it may have been renamed), or its old name marked as gone. */
    private String currentName(UUID id, String old) {
        try {
            return appliance.pool().volume(id).name();
        } catch (NoSuchVolumeException e) {
            return old + " (deleted)";
        }
    }

    @FunctionalInterface
    private interface Call {
        Response run() throws Exception;
    }

    /** Schedule errors as problems. */
    private static Response call(Call c) throws Exception {
        try {
            return c.run();
        } catch (ScheduleException e) {
            throw switch (e.kind()) {
                case BAD_INPUT -> ApiException.badRequest(e.getMessage());
                case NOT_FOUND -> ApiException.notFound(e.getMessage());
                case NAME_IN_USE -> ApiException.conflict("name-in-use", e.getMessage());
            };
        }
    }
}
