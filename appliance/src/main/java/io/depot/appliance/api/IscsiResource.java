package io.depot.appliance.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.depot.appliance.api.Views.LunView;
import io.depot.appliance.api.Views.SessionView;
import io.depot.appliance.api.Views.TargetView;
import io.depot.appliance.daemon.Appliance;
import io.depot.engine.EngineException;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import io.depot.iscsi.IscsiService;
import io.depot.iscsi.config.TargetSpec;
import io.depot.iscsi.config.TargetSpec.ChapSpec;
import io.depot.iscsi.config.TargetSpec.LunSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@code /api/v1/iscsi}: targets, their LUN maps, initiator ACLs and CHAP, and the sessions logged in.
 * IscsiService reports every refusal as IllegalArgumentException; this resource checks existence
 * and conflicts first, so clients get 404 and 409 where those apply and 400 only for bad input.
 */
final class IscsiResource {
    private static final String TARGET = "/api/v1/iscsi/targets/{target}";
    /** SAM-5 flat space LUNs, the range IscsiService addresses. */
    private static final long MAX_LUN = 16383;

    private final Appliance appliance;

    IscsiResource(Appliance appliance) {
        this.appliance = appliance;
    }

    void register(Router r) {
        r.add("GET", "/api/v1/iscsi/targets", this::list);
        r.add("POST", "/api/v1/iscsi/targets", this::create);
        r.add("GET", TARGET, this::show);
        r.add("DELETE", TARGET, this::delete);
        r.add("PUT", TARGET + "/luns/{lun}", this::map);
        r.add("DELETE", TARGET + "/luns/{lun}", this::unmap);
        r.add("PUT", TARGET + "/acl", this::acl);
        r.add("PUT", TARGET + "/chap", this::chap);
        r.add("DELETE", TARGET + "/chap", this::chapOff);
        r.add("GET", "/api/v1/iscsi/sessions", this::sessions);
    }

    private Response list(Request req) {
        return Response.ok(iscsi().targets().stream().map(this::view).toList());
    }

    private Response create(Request req) throws Exception {
        req.requireObject();
        String name = req.requiredText("name");
        String alias = req.optionalText("alias");
        TargetSpec spec = appliance.mutate(() -> {
            if (find(name) != null) {
                throw ApiException.conflict("name-in-use", "iSCSI target " + name + " already exists");
            }
            return badInput(() -> iscsi().createTarget(name, alias));
        });
        return Response.created("/api/v1/iscsi/targets/" + name, view(spec));
    }

    private Response show(Request req) {
        return Response.ok(view(target(req)));
    }

    /** Drops the target's sessions; the volumes stay. */
    private Response delete(Request req) throws Exception {
        appliance.mutate(() -> {
            iscsi().deleteTarget(target(req).name());
            return null;
        });
        return Response.noContent();
    }

    /**
     * {@code {"volume": "vm1"}} serves the volume read-write; with {@code "snapshot": "nightly"} that
     * snapshot read-only. Idempotent: mapping what is already there answers 200; a LUN already
     * serving something else is a conflict (unmap it first: initiators must not see a LUN change under them).
     */
    private Response map(Request req) throws Exception {
        req.requireObject();
        long lun = lun(req);
        String volumeName = req.requiredText("volume");
        String snapshotName = req.optionalText("snapshot");
        TargetSpec spec = appliance.mutate(() -> {
            TargetSpec t = target(req);
            if (appliance.isNfsFileVolume(volumeName)) {
                throw ApiException.conflict("nfs-owned", volumeName + " is a file of the NFS gateway; manage it over NFS");
            }
            Volume v = appliance.pool().volume(volumeName);
            Snapshot s = snapshotName == null ? null : v.snapshot(snapshotName);
            LunSpec wanted = new LunSpec(lun, v.uuid(), s == null ? null : s.uuid());
            LunSpec current = t.luns().stream().filter(l -> l.lun() == lun).findFirst().orElse(null);
            if (wanted.equals(current)) {
                return t;
            }
            if (current != null) {
                throw ApiException.conflict("lun-in-use", "LUN " + lun + " of " + t.name() + " already serves "
                        + describe(current) + "; unmap it first");
            }
            badInput(() -> {
                if (s == null) {
                    iscsi().mapVolume(t.name(), lun, v);
                } else {
                    iscsi().mapSnapshot(t.name(), lun, s);
                }
                return null;
            });
            return iscsi().target(t.name());
        });
        return Response.ok(view(spec));
    }

    private Response unmap(Request req) throws Exception {
        long lun = lun(req);
        appliance.mutate(() -> {
            TargetSpec t = target(req);
            if (t.luns().stream().noneMatch(l -> l.lun() == lun)) {
                throw ApiException.notFound("LUN " + lun + " of " + t.name() + " is not mapped");
            }
            iscsi().unmapLun(t.name(), lun);
            return null;
        });
        return Response.noContent();
    }

    /** {@code {"initiators": ["iqn...", ...]}}; an empty list lets every initiator log in. */
    private Response acl(Request req) throws Exception {
        req.requireObject();
        JsonNode list = req.body().get("initiators");
        if (list == null || !list.isArray()) {
            throw ApiException.badRequest("field 'initiators' is required: an array of initiator names (empty: anyone)");
        }
        List<String> initiators = new ArrayList<>();
        for (JsonNode n : list) {
            if (!n.isTextual() || n.textValue().isBlank()) {
                throw ApiException.badRequest("field 'initiators' must hold initiator names (non-empty strings)");
            }
            initiators.add(n.textValue());
        }
        TargetSpec spec = appliance.mutate(() -> {
            String name = target(req).name();
            badInput(() -> {
                iscsi().setAllowedInitiators(name, List.copyOf(initiators));
                return null;
            });
            return iscsi().target(name);
        });
        return Response.ok(view(spec));
    }

    /**
     * {@code {"user": "u", "secret": "s"}} makes initiators prove the secret; with {@code mutualUser}
     * and {@code mutualSecret} the target proves itself to initiators that ask.
     */
    private Response chap(Request req) throws Exception {
        req.requireObject();
        ChapSpec chap = new ChapSpec(req.requiredText("user"), req.requiredText("secret"));
        String mu = req.optionalText("mutualUser");
        String ms = req.optionalText("mutualSecret");
        if ((mu == null) != (ms == null)) {
            throw ApiException.badRequest("send both 'mutualUser' and 'mutualSecret', or neither");
        }
        ChapSpec mutual = mu == null ? null : new ChapSpec(mu, ms);
        return Response.ok(view(setChap(req, chap, mutual)));
    }

    private Response chapOff(Request req) throws Exception {
        return Response.ok(view(setChap(req, null, null)));
    }

    private TargetSpec setChap(Request req, ChapSpec chap, ChapSpec mutual) throws Exception {
        return appliance.mutate(() -> {
            String name = target(req).name();
            badInput(() -> {
                iscsi().setChap(name, chap, mutual);
                return null;
            });
            return iscsi().target(name);
        });
    }

    private Response sessions(Request req) {
        IscsiService iscsi = iscsi();
        List<SessionView> out = iscsi.server() == null ? List.of() : iscsi.server().sessionsInfo().stream()
                .map(s -> new SessionView(s.initiatorName(), String.format("%012x", s.isid()), s.targetName(), s.tsih()))
                .toList();
        return Response.ok(out);
    }

    /** The iSCSI service, or a 503 problem when the target is off. */
    private IscsiService iscsi() {
        IscsiService iscsi = appliance.iscsiOrNull();
        if (iscsi == null) {
            throw new ApiException(503, "iscsi-off", "the iSCSI target is off (depot serve --iscsi-portal off)");
        }
        return iscsi;
    }

    private TargetSpec find(String name) {
        return iscsi().targets().stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
    }

    private TargetSpec target(Request req) {
        TargetSpec t = find(req.param("target"));
        if (t == null) {
            throw ApiException.notFound("no iSCSI target named " + req.param("target"));
        }
        return t;
    }

    private static long lun(Request req) {
        try {
            long lun = Long.parseLong(req.param("lun"));
            if (lun >= 0 && lun <= MAX_LUN) {
                return lun;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw ApiException.badRequest("LUN must be a number from 0 to " + MAX_LUN + ", got " + req.param("lun"));
    }

    /** IscsiService's remaining refusals (a bad IQN, an empty CHAP secret) are bad input. */
    private static <T> T badInput(Appliance.Change<T> change) throws Exception {
        try {
            return change.run();
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    private TargetView view(TargetSpec t) {
        List<LunView> luns = new ArrayList<>();
        for (LunSpec l : t.luns()) {
            luns.add(lunView(l));
        }
        return new TargetView(t.name(), t.alias(), luns, t.allowedInitiators(),
                t.chap() == null ? null : t.chap().user(), t.mutualChap() == null ? null : t.mutualChap().user());
    }

    /** Names resolved from the stored ids; {@code missing} when the volume or snapshot was deleted behind the map. */
    private LunView lunView(LunSpec l) {
        try {
            Volume v = appliance.pool().volume(l.volume());
            String snap = null;
            if (l.snapshot() != null) {
                snap = v.snapshots().stream().filter(s -> s.uuid().equals(l.snapshot())).map(Snapshot::name)
                        .findFirst().orElse(null);
                if (snap == null) {
                    return new LunView(l.lun(), v.name(), l.volume(), null, l.snapshot(), true, true);
                }
            }
            return new LunView(l.lun(), v.name(), l.volume(), snap, l.snapshot(), l.snapshot() != null, false);
        } catch (EngineException gone) {
            return new LunView(l.lun(), null, l.volume(), null, l.snapshot(), l.snapshot() != null, true);
        }
    }

    private String describe(LunSpec l) {
        LunView v = lunView(l);
        return Objects.requireNonNullElse(v.volume(), l.volume().toString()) + (v.snapshot() == null ? "" : "@" + v.snapshot());
    }
}
