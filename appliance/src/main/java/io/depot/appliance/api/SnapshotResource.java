package io.depot.appliance.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.depot.appliance.api.Views.CloneView;
import io.depot.appliance.api.Views.SnapshotView;
import io.depot.appliance.api.Views.VolumeView;
import io.depot.appliance.daemon.Appliance;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Snapshots of a volume ({@code /api/v1/volumes/{volume}/snapshots}), rollback, clones of a snapshot,
 * and consistency-group snapshots of several volumes at one instant ({@code /api/v1/snapshot-groups}).
 */
final class SnapshotResource {
    private static final String ONE = "/api/v1/volumes/{volume}/snapshots/{snapshot}";

    private final Appliance appliance;
    private final VolumeResource volumes;

    SnapshotResource(Appliance appliance, VolumeResource volumes) {
        this.appliance = appliance;
        this.volumes = volumes;
    }

    void register(Router r) {
        r.add("GET", "/api/v1/volumes/{volume}/snapshots", this::list);
        r.add("POST", "/api/v1/volumes/{volume}/snapshots", this::create);
        r.add("GET", ONE, this::show);
        r.add("DELETE", ONE, this::delete);
        r.add("POST", ONE + "/rollback", this::rollback);
        r.add("POST", ONE + "/clones", this::clone);
        r.add("POST", "/api/v1/snapshot-groups", this::group);
    }

    private Response list(Request req) {
        return Response.ok(volumes.volume(req).snapshots().stream().map(s -> SnapshotView.of(s, false)).toList());
    }

    private Response create(Request req) throws Exception {
        req.requireObject();
        String name = req.requiredText("name");
        Snapshot s = appliance.mutate(() -> volumes.volume(req).createSnapshot(name));
        return Response.created(location(s), SnapshotView.of(s, false));
    }

    private Response show(Request req) {
        return Response.ok(SnapshotView.of(snapshot(req), true));
    }

    /** Refused while a LUN serves the snapshot; the engine refuses while linked clones read through it. */
    private Response delete(Request req) throws Exception {
        appliance.mutate(() -> {
            Snapshot s = snapshot(req);
            List<String> luns = volumes.lunsOf(s.volume().uuid(), s.uuid());
            if (!luns.isEmpty()) {
                throw ApiException.conflict("mapped", "snapshot " + s + " is served at iSCSI LUN(s) " + luns + "; unmap it first");
            }
            return s.delete();
        });
        return Response.noContent();
    }

    /** {@code {"destroyNewer": true}} also deletes the snapshots taken after this one; without it they block the rollback. */
    private Response rollback(Request req) throws Exception {
        req.requireObject();
        boolean destroyNewer = req.optionalBoolean("destroyNewer", false);
        Volume v = appliance.mutate(() -> {
            Snapshot s = snapshot(req);
            List<Snapshot> all = s.volume().snapshots();
            List<String> newer = all.subList(all.indexOf(s) + 1, all.size()).stream().map(Snapshot::name).toList();
            if (!newer.isEmpty() && !destroyNewer) {
                throw ApiException.conflict("newer-snapshots", "volume " + s.volume().name() + " has snapshots newer than "
                        + s.name() + " " + newer + "; send \"destroyNewer\": true to delete them with the rollback");
            }
            s.rollback(destroyNewer);
            return s.volume();
        });
        return Response.ok(VolumeView.of(v, volumes.lunsOf(v.uuid(), null)));
    }

    /**
     * {@code {"name": "vm2", "full": false}}: a linked clone is ready at once (201). A full clone is
     * usable at once too, and becomes independent in the background: 202 with the job to follow.
     */
    private Response clone(Request req) throws Exception {
        req.requireObject();
        String name = req.requiredText("name");
        boolean full = req.optionalBoolean("full", false);
        if (appliance.isNfsFileVolume(name)) {
            throw ApiException.badRequest("names like " + name + " are reserved for the NFS gateway's files");
        }
        Volume clone = appliance.mutate(() -> {
            Snapshot s = snapshot(req);
            return full ? s.fullClone(name) : s.linkedClone(name);
        });
        VolumeView view = VolumeView.of(clone, List.of());
        if (!full) {
            return Response.created("/api/v1/volumes/" + clone.name(), new CloneView(view, null));
        }
        String job = clone.uuid().toString();
        return Response.accepted("/api/v1/jobs/" + job, new CloneView(view, job));
    }

    /** {@code {"name": "nightly", "volumes": ["db", "logs"]}}: one snapshot per volume, all at the same instant. */
    private Response group(Request req) throws Exception {
        req.requireObject();
        String name = req.requiredText("name");
        JsonNode names = req.body().get("volumes");
        if (names == null || !names.isArray() || names.isEmpty()) {
            throw ApiException.badRequest("field 'volumes' is required: a non-empty array of volume names");
        }
        Set<String> unique = new LinkedHashSet<>();
        for (JsonNode n : names) {
            if (!n.isTextual()) {
                throw ApiException.badRequest("field 'volumes' must hold volume names (strings)");
            }
            if (!unique.add(n.textValue())) {
                throw ApiException.badRequest("volume " + n.textValue() + " is listed twice");
            }
        }
        List<Snapshot> taken = appliance.mutate(() -> {
            List<Volume> vs = new ArrayList<>();
            for (String v : unique) {
                if (appliance.isNfsFileVolume(v)) {
                    throw ApiException.conflict("nfs-owned", v + " is a file of the NFS gateway; manage it over NFS");
                }
                vs.add(appliance.pool().volume(v));
            }
            return appliance.pool().snapshotGroup(name, vs.toArray(Volume[]::new));
        });
        return Response.created(null, taken.stream().map(s -> SnapshotView.of(s, false)).toList());
    }

    private Snapshot snapshot(Request req) {
        return volumes.volume(req).snapshot(req.param("snapshot"));
    }

    private static String location(Snapshot s) {
        return "/api/v1/volumes/" + s.volume().name() + "/snapshots/" + s.name();
    }
}
