package io.depot.appliance.api;

import io.depot.appliance.api.Views.VolumeView;
import io.depot.appliance.daemon.Appliance;
import io.depot.engine.Pool;
import io.depot.engine.Volume;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** {@code /api/v1/volumes}: list, create, show, resize or rename, delete. */
final class VolumeResource {
    private final Appliance appliance;

    VolumeResource(Appliance appliance) {
        this.appliance = appliance;
    }

    void register(Router r) {
        r.add("GET", "/api/v1/volumes", this::list);
        r.add("POST", "/api/v1/volumes", this::create);
        r.add("GET", "/api/v1/volumes/{volume}", this::show);
        r.add("PATCH", "/api/v1/volumes/{volume}", this::update);
        r.add("DELETE", "/api/v1/volumes/{volume}", this::delete);
    }

    /** NFS file volumes are listed only with {@code ?all=true}: they belong to the NFS gateway. */
    private Response list(Request req) {
        boolean all = req.flag("all");
        List<VolumeView> out = new ArrayList<>();
        for (Volume v : pool().volumes()) {
            if (all || !Appliance.isNfsFileVolume(v)) {
                out.add(VolumeView.of(v, lunsOf(v.uuid(), null)));
            }
        }
        return Response.ok(out);
    }

    private Response create(Request req) throws Exception {
        req.requireObject();
        String name = req.requiredText("name");
        long size = req.requiredSize("size");
        if (appliance.isNfsFileVolume(name)) {
            throw ApiException.badRequest("names like " + name + " are reserved for the NFS gateway's files");
        }
        Volume v = appliance.mutate(() -> pool().createVolume(name, size));
        return Response.created("/api/v1/volumes/" + v.name(), VolumeView.of(v, List.of()));
    }

    private Response show(Request req) {
        Volume v = volume(req);
        return Response.ok(VolumeView.of(v, lunsOf(v.uuid(), null)));
    }

    /**
     * {@code {"size": ..., "name": ...}}: either or both. Growing is safe; shrinking discards data past
     * the new end, so it needs {@code "shrink": true} as well.
     */
    private Response update(Request req) throws Exception {
        req.requireObject();
        Long size = req.optionalSize("size");
        String newName = req.optionalText("name");
        boolean allowShrink = req.optionalBoolean("shrink", false);
        if (size == null && newName == null) {
            throw ApiException.badRequest("send 'size' (to resize) and/or 'name' (to rename)");
        }
        Volume v = appliance.mutate(() -> {
            Volume vol = volume(req);
            if (size != null && size < vol.sizeBytes() && !allowShrink) {
                throw ApiException.conflict("shrink-refused", "shrinking " + vol.name() + " from " + vol.sizeBytes() + " to "
                        + size + " bytes discards its data past the new end; send \"shrink\": true to do it anyway");
            }
            if (newName != null && appliance.isNfsFileVolume(newName)) {
                throw ApiException.badRequest("names like " + newName + " are reserved for the NFS gateway's files");
            }
            if (size != null && size > vol.sizeBytes()) {
                vol.grow(size);
            } else if (size != null && size < vol.sizeBytes()) {
                vol.shrink(size);
            }
            if (newName != null && !newName.equals(vol.name())) {
                vol.rename(newName);
            }
            return pool().volume(vol.uuid());
        });
        return Response.ok(VolumeView.of(v, lunsOf(v.uuid(), null)));
    }

    /** Refused while a LUN serves the volume (or one of its snapshots) or linked clones read through it. */
    private Response delete(Request req) throws Exception {
        appliance.mutate(() -> {
            Volume v = volume(req);
            List<String> luns = lunsOf(v.uuid(), ANY_SNAPSHOT);
            if (!luns.isEmpty()) {
                throw ApiException.conflict("mapped", "volume " + v.name() + " is served at iSCSI LUN(s) " + luns + "; unmap it first");
            }
            v.delete();
            return null;
        });
        return Response.noContent();
    }

    private Pool pool() { return appliance.pool(); }

    /** The volume named in the path; NFS file volumes are not addressable here. */
    Volume volume(Request req) {
        String name = req.param("volume");
        if (appliance.isNfsFileVolume(name)) {
            throw ApiException.conflict("nfs-owned", name + " is a file of the NFS gateway; manage it over NFS");
        }
        return pool().volume(name);
    }

    /** Marker for {@link #lunsOf}: the volume's own LUNs and its snapshots' LUNs. */
    static final UUID ANY_SNAPSHOT = Appliance.ANY_SNAPSHOT;

    /** See {@link Appliance#lunsOf}. */
    List<String> lunsOf(UUID volume, UUID snapshot) {
        return appliance.lunsOf(volume, snapshot);
    }
}
