package io.depot.appliance.api;

import io.depot.appliance.api.Views.JobView;
import io.depot.appliance.daemon.Appliance;
import io.depot.engine.FlattenJob;
import io.depot.engine.NoSuchVolumeException;
import io.depot.engine.Volume;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code /api/v1/jobs}: background work, today the copy that makes a full clone independent. A job's
 * id is its clone's volume id, so jobs need no table of their own and survive restarts with the
 * engine's flatten (which resumes on open). A job stays visible after it ends until the volume's
 * next flatten or deletion, so a client polling it reads the outcome.
 */
final class JobResource {
    private final Appliance appliance;

    JobResource(Appliance appliance) {
        this.appliance = appliance;
    }

    void register(Router r) {
        r.add("GET", "/api/v1/jobs", this::list);
        r.add("GET", "/api/v1/jobs/{job}", this::show);
        r.add("DELETE", "/api/v1/jobs/{job}", this::cancel);
    }

    private Response list(Request req) {
        List<JobView> out = new ArrayList<>();
        for (Volume v : appliance.pool().volumes()) {
            FlattenJob j = v.flattenJob();
            if (j != null) {
                out.add(JobView.of(v, j));
            }
        }
        return Response.ok(out);
    }

    private Response show(Request req) {
        Volume v = volume(req.param("job"));
        return Response.ok(JobView.of(v, job(v)));
    }

    /** Stops the copy; the clone stays a working linked clone. A job that has ended cannot be cancelled (409). */
    private Response cancel(Request req) throws Exception {
        JobView view = appliance.mutate(() -> {
            Volume v = volume(req.param("job"));
            FlattenJob j = job(v);
            if (j.isFinished() || j.error() != null) {
                throw ApiException.conflict("job-ended", "job " + req.param("job") + " has already ended ("
                        + JobView.of(v, j).state() + ")");
            }
            j.cancel();
            return JobView.of(v, j);
        });
        return Response.ok(view);
    }

    /** By id (the clone's volume id) or, for convenience, by the clone's name. */
    private Volume volume(String job) {
        try {
            try {
                return appliance.pool().volume(UUID.fromString(job));
            } catch (IllegalArgumentException notAUuid) {
                return appliance.pool().volume(job);
            }
        } catch (NoSuchVolumeException e) {
            throw ApiException.notFound("no job " + job);
        }
    }

    private static FlattenJob job(Volume v) {
        FlattenJob j = v.flattenJob();
        if (j == null) {
            throw ApiException.notFound("volume " + v.name() + " has no job");
        }
        return j;
    }
}
