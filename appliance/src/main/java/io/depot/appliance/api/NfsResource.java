package io.depot.appliance.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.depot.appliance.config.ExportRules;
import io.depot.appliance.daemon.Appliance;
import io.depot.engine.FlattenJob;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.fs.Datastore;
import io.depot.nfs.fs.ExportSnapshot;
import io.depot.nfs.fs.FsException;
import io.depot.nfs.fs.Inode;
import io.depot.nfs.nfs3.ClientRule;
import io.depot.nfs.nfs3.NfsExport;
import io.depot.nfs.nlm.FileLock;
import io.depot.nfs.nlm.HostNames;
import io.depot.nfs.nlm.NlmService;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /api/v1/nfs}: exports (client rules, squash), export-wide snapshots, the clients that have
 * mounted, and files made from a volume's snapshot. An export is named in a path by its path
 * without the leading slash ("depot" for "/depot"; "a%2Fb" for "/a/b"). Rules use exports(5)
 * words: {@code "clients": ["10.0.0.0/8(rw)", "*(ro)"]}, first match wins, none: everyone read-write.
 */
final class NfsResource {
    private static final Logger log = LoggerFactory.getLogger(NfsResource.class);
    private static final String EXPORT = "/api/v1/nfs/exports/{export}";

    private final Appliance appliance;

    NfsResource(Appliance appliance) {
        this.appliance = appliance;
    }

    void register(Router r) {
        r.add("GET", "/api/v1/nfs/exports", req -> Response.ok(nfs().exports().stream().map(NfsResource::view).toList()));
        r.add("POST", "/api/v1/nfs/exports", this::create);
        r.add("GET", EXPORT, req -> Response.ok(view(export(req))));
        r.add("PATCH", EXPORT, this::change);
        r.add("DELETE", EXPORT, this::delete);
        r.add("GET", EXPORT + "/snapshots", this::snapshots);
        r.add("POST", EXPORT + "/snapshots", this::snapshot);
        r.add("DELETE", EXPORT + "/snapshots/{snapshot}", this::deleteSnapshot);
        r.add("GET", "/api/v1/nfs/clients", this::clients);
        r.add("GET", "/api/v1/nfs/locks", this::locks);
        r.add("DELETE", "/api/v1/nfs/locks/{host}", this::releaseLocks);
        r.add("POST", "/api/v1/nfs/files", this::importFile);
    }

    /** What an export looks like in JSON. */
    record ExportView(String path, List<String> clients, String squash, long anonUid, long anonGid) {}

    record ExportSnapshotView(String export, String name, int id, String createdAt, String path) {}

    record ClientView(String host, String export) {}

    /** An NLM byte-range lock: {@code file} is the inode number GETATTR reports as fileid; length 0 = to the end. */
    record LockView(String host, long file, long offset, long length, boolean exclusive, boolean waiting) {}

    record ReleasedView(String host, int locks) {}

    /** {@code volume}: the engine volume that holds the file's bytes (nfs.<hex>); {@code job}: a full clone's copy. */
    record FileView(String path, long size, String volume, String source, String job) {}

    static ExportView view(NfsExport e) {
        return new ExportView(e.path(), e.rules().stream().map(ExportRules::text).toList(), ExportRules.text(e.squash()),
                Integer.toUnsignedLong(e.anonUid()), Integer.toUnsignedLong(e.anonGid()));
    }

    private Response create(Request req) throws Exception {
        req.requireObject();
        String path = req.requiredText("path");
        if (!path.startsWith("/") || path.length() < 2 || path.contains("//") || path.endsWith("/")) {
            throw ApiException.badRequest("field 'path' must be an absolute directory path such as /depot, got " + path);
        }
        NfsExport e = apply(req, NfsExport.of(path));
        NfsExport made = appliance.mutate(() -> {
            if (nfs().exports().stream().anyMatch(x -> x.path().equals(path))) {
                throw ApiException.conflict("name-in-use", "export " + path + " already exists");
            }
            return put(e);
        });
        return Response.created(EXPORT.replace("{export}", seg(path.substring(1))), view(made));
    }

    /** Changes only the fields sent. */
    private Response change(Request req) throws Exception {
        req.requireObject();
        NfsExport made = appliance.mutate(() -> put(apply(req, export(req))));
        return Response.ok(view(made));
    }

    private NfsExport put(NfsExport e) {
        try {
            nfs().putExport(e);
        } catch (IllegalArgumentException x) {
            throw ApiException.conflict("name-in-use", x.getMessage());
        } catch (FsException x) {
            throw ApiException.badRequest("export " + e.path() + ": " + x.getMessage());
        }
        return e;
    }

    private Response delete(Request req) throws Exception {
        appliance.mutate(() -> nfs().removeExport(export(req).path()));
        return Response.noContent();
    }

    /** clients, squash, anonUid, anonGid of the body, over {@code base}. */
    private static NfsExport apply(Request req, NfsExport base) {
        NfsExport e = base;
        JsonNode clients = req.body().get("clients");
        if (clients != null && !clients.isNull()) {
            if (!clients.isArray()) {
                throw ApiException.badRequest("field 'clients' must be an array of rules such as \"10.0.0.0/8(rw)\" (empty: everyone)");
            }
            List<ClientRule> rules = new ArrayList<>();
            for (JsonNode n : clients) {
                if (!n.isTextual()) {
                    throw ApiException.badRequest("field 'clients' must hold strings such as \"10.0.0.0/8(rw)\" or \"*(ro)\"");
                }
                rules.add(badInput(() -> ExportRules.rule(n.textValue())));
            }
            e = e.withRules(rules);
        }
        String squash = req.optionalText("squash");
        NfsExport.Squash s = squash == null ? e.squash() : badInput(() -> ExportRules.squash(squash));
        int uid = id(req, "anonUid", e.anonUid());
        int gid = id(req, "anonGid", e.anonGid());
        return e.withSquash(s, uid, gid);
    }

    private static int id(Request req, String field, int otherwise) {
        JsonNode n = req.body().get(field);
        if (n == null || n.isNull()) {
            return otherwise;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw ApiException.badRequest("field '" + field + "' must be a number 0..4294967295");
        }
        return badInput(() -> ExportRules.id(n.longValue(), "field '" + field + "'"));
    }

    private Response snapshots(Request req) {
        NfsExport e = export(req);
        return Response.ok(nfs().listExportSnapshots(e.path()).stream().map(s -> snapshotView(e, s)).toList());
    }

    /** Every file of the export at one instant, readable under {@code <export>/.snapshots/<name>/}. */
    private Response snapshot(Request req) throws Exception {
        req.requireObject();
        String name = req.requiredText("name");
        NfsExport e = export(req);
        ExportSnapshot s = appliance.mutate(() -> {
            if (nfs().listExportSnapshots(e.path()).stream().anyMatch(x -> x.name().equals(name))) {
                throw ApiException.conflict("name-in-use", "export " + e.path() + " has a snapshot named " + name);
            }
            return fs(() -> nfs().createExportSnapshot(e.path(), name));
        });
        return Response.created(EXPORT.replace("{export}", seg(e.path().substring(1))) + "/snapshots/"
                + seg(name), snapshotView(e, s));
    }

    private Response deleteSnapshot(Request req) throws Exception {
        NfsExport e = export(req);
        String name = req.param("snapshot");
        appliance.mutate(() -> {
            if (nfs().listExportSnapshots(e.path()).stream().noneMatch(x -> x.name().equals(name))) {
                throw ApiException.notFound("export " + e.path() + " has no snapshot named " + name);
            }
            fs(() -> {
                nfs().deleteExportSnapshot(e.path(), name);
                return null;
            });
            return null;
        });
        return Response.noContent();
    }

    private static ExportSnapshotView snapshotView(NfsExport e, ExportSnapshot s) {
        return new ExportSnapshotView(e.path(), s.name(), s.id(), s.created().toString(), e.path() + "/.snapshots/" + s.name());
    }

    /** MOUNT's list: who mounted what. Advisory (RFC 1813 appendix I): a client that never unmounts stays listed. */
    private Response clients(Request req) {
        return Response.ok(nfs().mounts().stream().map(m -> new ClientView(m.host(), m.path())).toList());
    }

    /** The lock manager's locks: held ones, then blocked requests waiting for them, by client host. */
    private Response locks(Request req) {
        NlmService nlm = nfs().locks();
        List<LockView> out = new ArrayList<>();
        nlm.locks().forEach(l -> out.add(lockView(l, false)));
        nlm.waiting().forEach(p -> out.add(lockView(p.request(), true)));
        return Response.ok(out);
    }

    private static LockView lockView(FileLock l, boolean waiting) {
        return new LockView(l.owner().host(), l.fileId(), l.range().offset(), l.range().length(), l.exclusive(), waiting);
    }

    /**
     * Drops every lock, share reservation and waiting request of a client host, as its reboot would:
     * for a host that is gone for good (its statd will never say it rebooted), whose locks keep
     * another host from starting its VMs. 404 when the host holds nothing.
     */
    private Response releaseLocks(Request req) throws Exception {
        String host = HostNames.normalise(req.param("host"));
        int released = appliance.mutate(() -> {
            NlmService nlm = nfs().locks();
            int held = (int) nlm.locks().stream().filter(l -> l.owner().host().equals(host)).count();
            boolean any = held > 0 || nlm.waiting().stream().anyMatch(p -> p.request().owner().host().equals(host))
                    || nlm.shares().stream().anyMatch(s -> s.host().equals(host));
            if (!any) {
                throw ApiException.notFound("NFS client " + host + " holds no locks (hosts holding locks: "
                        + nlm.locks().stream().map(l -> l.owner().host()).distinct().sorted().toList() + ")");
            }
            nlm.hostRebooted(host);
            return held;
        });
        log.warn("NFS locks of client {} released by an operator ({} held locks dropped)", host, released);
        return Response.ok(new ReleasedView(host, released));
    }

    /**
     * {@code {"path": "/depot/disks/vm1.raw", "volume": "vm1", "snapshot": "gold", "full": false}}: a
     * new file cloned from a volume's snapshot (a clone's too: snapshot the clone first). Linked: 201,
     * it reads through the snapshot; full: 202 and a job that makes it independent.
     */
    private Response importFile(Request req) throws Exception {
        req.requireObject();
        String path = req.requiredText("path");
        String volumeName = req.requiredText("volume");
        String snapshotName = req.requiredText("snapshot");
        boolean full = req.optionalBoolean("full", false);
        NfsExport inside = nfs().exports().stream().filter(e -> path.startsWith(e.path().equals("/") ? "/" : e.path() + "/"))
                .findFirst().orElseThrow(() -> ApiException.badRequest("path " + path + " is not inside an export (exports: "
                        + nfs().exports().stream().map(NfsExport::path).toList() + ")"));
        if (path.endsWith("/") || path.contains("//") || path.contains("/./") || path.contains("/../") || path.contains("/.snapshots/")) {
            throw ApiException.badRequest("path " + path + " must name a file, e.g. " + inside.path() + "/disks/vm1.raw");
        }
        if (appliance.isNfsFileVolume(volumeName)) {
            throw ApiException.conflict("nfs-owned", volumeName + " is a file of the NFS gateway; clone it over the datastore instead");
        }
        FileView made = appliance.mutate(() -> {
            Volume v = appliance.pool().volume(volumeName);
            Snapshot s = v.snapshot(snapshotName);
            Inode f = fs(() -> nfs().importSnapshot(s, path, full ? Datastore.CloneMode.FULL : Datastore.CloneMode.LINKED));
            Volume fileVolume = appliance.pool().volume(f.volume());
            FlattenJob j = fileVolume.flattenJob();
            return new FileView(path, f.size(), fileVolume.name(), volumeName + "@" + snapshotName,
                    full && j != null ? fileVolume.uuid().toString() : null);
        });
        return made.job() == null ? Response.created(null, made) : Response.accepted("/api/v1/jobs/" + made.job(), made);
    }

    private static String seg(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }

    private NfsGateway nfs() {
        NfsGateway g = appliance.nfsOrNull();
        if (g == null) {
            throw new ApiException(503, "nfs-off", "the NFS gateway is off (depot serve --nfs-port off, or listen.nfs: off)");
        }
        return g;
    }

    private NfsExport export(Request req) {
        String p = req.param("export");
        String path = p.startsWith("/") ? p : "/" + p;
        return nfs().exports().stream().filter(e -> e.path().equals(path)).findFirst()
                .orElseThrow(() -> ApiException.notFound("no NFS export " + path));
    }

    /** The datastore's refusals as problems. */
    private static <T> T fs(Appliance.Change<T> change) throws Exception {
        try {
            return change.run();
        } catch (FsException.Exists e) {
            throw ApiException.conflict("name-in-use", "already exists: " + e.getMessage());
        } catch (FsException.NoSpace e) {
            throw new ApiException(507, "out-of-space", e.getMessage());
        } catch (FsException.NotDirectory | FsException.Invalid | FsException.NameTooLong | FsException.NoEntry e) {
            throw ApiException.badRequest(e.getMessage());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    private static <T> T badInput(java.util.function.Supplier<T> s) {
        try {
            return s.get();
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }
}
