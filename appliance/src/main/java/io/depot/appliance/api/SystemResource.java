package io.depot.appliance.api;

import io.depot.appliance.api.Views.IntegrityView;
import io.depot.appliance.api.Views.PoolView;
import io.depot.appliance.daemon.Appliance;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** The pool's capacity, the open health check (degraded while data is damaged) and the OpenAPI document. */
final class SystemResource {
    /** Damaged blocks named in the health answer; the integrity resource lists them all. */
    static final int HEALTH_DAMAGE_LISTED = 5;

    private final Appliance appliance;
    private final byte[] openApi;

    SystemResource(Appliance appliance) {
        this.appliance = appliance;
        try (InputStream in = SystemResource.class.getResourceAsStream("openapi.json")) {
            this.openApi = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void register(Router r) {
        r.add("GET", "/api/v1/pool", req -> Response.ok(PoolView.of(appliance.pool())));
        r.addOpen("GET", "/api/v1/health", this::health);
        r.addOpen("GET", "/api/v1/openapi.json", req -> Response.ok(new ApiServer.RawJson(openApi)));
    }

    /**
     * Open without a token (for load balancers and systemd checks), so it tells nothing secret.
     * {@code degraded} (still 200: the daemon serves) while the pool knows damaged data, with the
     * reason and the first few damaged blocks; {@code GET /api/v1/integrity} lists them all.
     */
    private Response health(Request req) {
        Map<String, Object> h = new LinkedHashMap<>();
        IntegrityView integrity = IntegrityView.of(appliance.pool().integrity(), HEALTH_DAMAGE_LISTED);
        h.put("status", integrity.degraded() ? "degraded" : "ok");
        if (integrity.degraded()) {
            h.put("reason", integrity.damagedBlocks() + " damaged data block(s) failed their checksum"
                    + " (see GET /api/v1/integrity; restore those ranges, or overwrite them, to clear)");
            h.put("damagedBlocks", integrity.damagedBlocks());
            h.put("damage", integrity.damage());
        }
        h.put("pool", appliance.pool().uuid());
        h.put("iscsi", appliance.iscsiOrNull() == null || appliance.iscsiOrNull().server() == null ? null
                : hostPort(appliance.iscsiOrNull().address()));
        h.put("nfs", appliance.nfsOrNull() == null ? null : hostPort(appliance.nfsOrNull().address()));
        return Response.ok(h);
    }

    static String hostPort(java.net.InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
