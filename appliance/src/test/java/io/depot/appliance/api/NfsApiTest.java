package io.depot.appliance.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.depot.appliance.daemon.Appliance;
import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.Volume;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.NfsGatewaySettings;
import io.depot.nfs.fs.Caller;
import io.depot.nfs.portmap.PortAdvertiser;
import io.depot.nfs.rpc.Credential;
import io.depot.nfs.rpc.RpcClient;
import io.depot.nfs.xdr.XdrReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /api/v1/nfs} in process: a real pool and gateway behind the real HTTP server; every refusal a problem with its code. */
class NfsApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private Pool pool;
    private NfsGateway nfs;
    private ApiServer api;
    private String token;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        pool = Pool.create(dir.resolve("pool"), PoolOptions.ofCapacity(256L << 20));
        InetAddress lo = InetAddress.getLoopbackAddress();
        nfs = NfsGateway.start(pool, new NfsGatewaySettings(lo, 0, new PortAdvertiser.Config(lo, 0, dir.resolve("no-rpcbind.sock")),
                List.of(io.depot.nfs.nfs3.NfsExport.of("/depot"))));
        api = ApiServer.start(new InetSocketAddress(lo, 0), DepotApi.router(new Appliance(pool, null, nfs)), ApiToken.loadOrCreate(dir));
        token = ApiToken.read(dir.resolve(ApiToken.FILE));
    }

    @AfterEach
    void stop() {
        api.close();
        nfs.close();
        pool.close();
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.address().getPort() + "/api/v1" + path))
                .header("Authorization", "Bearer " + token);
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode ok(int status, String method, String path, String body) throws Exception {
        HttpResponse<String> r = send(method, path, body);
        assertEquals(status, r.statusCode(), () -> method + " " + path + ": " + r.body());
        return r.body().isEmpty() ? null : JSON.readTree(r.body());
    }

    private void problem(int status, String code, String method, String path, String body, String detailHas) throws Exception {
        HttpResponse<String> r = send(method, path, body);
        assertEquals(status, r.statusCode(), () -> method + " " + path + ": " + r.body());
        JsonNode p = JSON.readTree(r.body());
        assertEquals(code, p.path("code").asText(), r.body());
        assertTrue(p.path("detail").asText().contains(detailHas), r.body());
    }

    /**
     * Locks taken over the wire with NLM v4 (MOUNT's handle of the export root, as a client could
     * lock any file): listed by the API, then released for a host gone for good, after which the
     * other host's conflicting lock is granted. Releasing a host that holds nothing is a 404.
     */
    @Test
    void locksAreListedAndAGoneHostsLocksReleased() throws Exception {
        InetSocketAddress server = nfs.address();
        byte[] fh;
        try (RpcClient mount = RpcClient.connect(server, Duration.ofSeconds(5))) {
            mount.credential(new Credential.Sys(0, "test", 0, 0, new int[0]));
            XdrReader r = mount.call(100005, 3, 1, w -> w.writeString("/depot")).results();
            assertEquals(0, r.readInt(), "MNT /depot");
            fh = r.readOpaque(64);
        }
        try (RpcClient nlm = RpcClient.connect(server, Duration.ofSeconds(5))) {
            assertEquals(0, nlmLock(nlm, "pve1.lan", fh, 100, 1), "pve1's lock granted");
            assertEquals(1, nlmLock(nlm, "pve2.lan", fh, 100, 1), "pve2 denied while pve1 holds it");

            JsonNode locks = ok(200, "GET", "/nfs/locks", null);
            assertEquals(1, locks.size(), locks.toString());
            assertEquals("pve1.lan", locks.get(0).path("host").asText());
            assertEquals(100, locks.get(0).path("offset").asLong());
            assertEquals(1, locks.get(0).path("length").asLong());
            assertTrue(locks.get(0).path("exclusive").asBoolean());
            assertFalse(locks.get(0).path("waiting").asBoolean());

            problem(404, "not-found", "DELETE", "/nfs/locks/pve9.lan", null, "holds no locks");
            JsonNode released = ok(200, "DELETE", "/nfs/locks/PVE1.lan.", null);
            assertEquals("pve1.lan", released.path("host").asText(), "the name as lock requests normalise it");
            assertEquals(1, released.path("locks").asInt());
            assertEquals(0, ok(200, "GET", "/nfs/locks", null).size());
            assertEquals(0, nlmLock(nlm, "pve2.lan", fh, 100, 1), "pve2 gets the lock once pve1's is released");
        }
    }

    /** NLM4 NM_LOCK (non-blocking, exclusive, not monitored): the nlm4_stats it answers (0 granted, 1 denied). */
    private static int nlmLock(RpcClient nlm, String host, byte[] fh, long offset, long length) throws Exception {
        XdrReader r = nlm.call(100021, 4, 22, w -> w.writeOpaque(new byte[] {1})
                .writeBoolean(false).writeBoolean(true)
                .writeString(host).writeOpaque(fh).writeOpaque(host.getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .writeInt(42).writeHyper(offset).writeHyper(length)
                .writeBoolean(false).writeInt(0)).results();
        r.readOpaque(1024); // cookie
        return r.readInt();
    }

    @Test
    void exportsWithRulesAndSquashAreMadeChangedAndRemoved() throws Exception {
        assertEquals("/depot", ok(200, "GET", "/nfs/exports", null).get(0).path("path").asText());
        HttpResponse<String> created = send("POST", "/nfs/exports",
                "{\"path\":\"/vm\",\"clients\":[\"10.0.0.0/8(ro)\",\"*\"],\"squash\":\"root\",\"anonUid\":1000}");
        assertEquals(201, created.statusCode(), created.body());
        assertEquals("/api/v1/nfs/exports/vm", created.headers().firstValue("Location").orElse(null));
        JsonNode e = JSON.readTree(created.body());
        assertEquals(List.of("10.0.0.0/8(ro)", "*(rw)"), List.of(e.path("clients").get(0).asText(), e.path("clients").get(1).asText()));
        assertEquals("root", e.path("squash").asText());
        assertEquals(1000, e.path("anonUid").asLong());
        assertEquals(65534, e.path("anonGid").asLong());
        assertEquals(io.depot.nfs.nfs3.NfsExport.Squash.ROOT, nfs.exports().stream().filter(x -> x.path().equals("/vm")).findFirst()
                .orElseThrow().squash(), "in force in the gateway");

        // PATCH changes only what is sent; %2F and a leading slash name the same export
        JsonNode changed = ok(200, "PATCH", "/nfs/exports/%2Fvm", "{\"squash\":\"all\",\"anonGid\":4294967295}");
        assertEquals("all", changed.path("squash").asText());
        assertEquals(2, changed.path("clients").size());
        assertEquals(4294967295L, changed.path("anonGid").asLong());
        assertEquals(0, ok(200, "PATCH", "/nfs/exports/vm", "{\"clients\":[]}").path("clients").size());

        problem(409, "name-in-use", "POST", "/nfs/exports", "{\"path\":\"/vm\"}", "already exists");
        problem(400, "bad-request", "POST", "/nfs/exports", "{\"path\":\"vm2\"}", "absolute directory path");
        problem(400, "bad-request", "PATCH", "/nfs/exports/vm", "{\"clients\":\"*\"}", "must be an array");
        problem(400, "bad-request", "PATCH", "/nfs/exports/vm", "{\"clients\":[1]}", "must hold strings");
        problem(400, "bad-request", "PATCH", "/nfs/exports/vm", "{\"clients\":[\"10.0.0.0/8(rx)\"]}", "access must be ro or rw");
        problem(400, "bad-request", "PATCH", "/nfs/exports/vm", "{\"clients\":[\"10.0.0.0/40\"]}", "prefix length");
        problem(400, "bad-request", "PATCH", "/nfs/exports/vm", "{\"squash\":\"some\"}", "squash must be none, root or all");
        problem(400, "bad-request", "PATCH", "/nfs/exports/vm", "{\"anonUid\":-1}", "0..4294967295");
        problem(400, "bad-request", "PATCH", "/nfs/exports/vm", "{\"anonUid\":\"x\"}", "must be a number");
        problem(404, "not-found", "GET", "/nfs/exports/nope", null, "no NFS export /nope");

        ok(204, "DELETE", "/nfs/exports/vm", null);
        problem(404, "not-found", "DELETE", "/nfs/exports/vm", null, "no NFS export /vm");
        assertEquals(1, ok(200, "GET", "/nfs/exports", null).size());
        assertEquals(0, ok(200, "GET", "/nfs/clients", null).size());
    }

    @Test
    void exportSnapshotsAreTakenListedAndDeleted() throws Exception {
        JsonNode s = ok(201, "POST", "/nfs/exports/depot/snapshots", "{\"name\":\"n1\"}");
        assertEquals("/depot/.snapshots/n1", s.path("path").asText());
        problem(409, "name-in-use", "POST", "/nfs/exports/depot/snapshots", "{\"name\":\"n1\"}", "n1");
        problem(400, "bad-request", "POST", "/nfs/exports/depot/snapshots", "{}", "'name' is required");
        assertEquals("n1", ok(200, "GET", "/nfs/exports/depot/snapshots", null).get(0).path("name").asText());
        ok(204, "DELETE", "/nfs/exports/depot/snapshots/n1", null);
        problem(404, "not-found", "DELETE", "/nfs/exports/depot/snapshots/n1", null, "no snapshot named n1");
        assertEquals(0, ok(200, "GET", "/nfs/exports/depot/snapshots", null).size());
    }

    @Test
    void aVolumesSnapshotBecomesADatastoreFile() throws Exception {
        byte[] data = new byte[1 << 20];
        new Random(5).nextBytes(data);
        Volume v = pool.createVolume("vm1", 2 << 20);
        v.write(0, ByteBuffer.wrap(data));
        v.createSnapshot("gold");

        JsonNode f = ok(201, "POST", "/nfs/files", "{\"path\":\"/depot/disks/vm1.raw\",\"volume\":\"vm1\",\"snapshot\":\"gold\"}");
        assertEquals(2 << 20, f.path("size").asLong());
        assertEquals("vm1@gold", f.path("source").asText());
        assertTrue(f.path("job").isNull());
        long ino = nfs.datastore().resolve("/depot/disks/vm1.raw").ino();
        ByteBuffer read = nfs.datastore().read(Caller.ROOT, ino, 0, data.length).data();
        byte[] got = new byte[read.remaining()];
        read.get(got);
        assertArrayEquals(data, got);

        HttpResponse<String> full = send("POST", "/nfs/files", "{\"path\":\"/depot/full.raw\",\"volume\":\"vm1\",\"snapshot\":\"gold\",\"full\":true}");
        assertEquals(202, full.statusCode(), full.body());
        String job = JSON.readTree(full.body()).path("job").asText();
        assertEquals("/api/v1/jobs/" + job, full.headers().firstValue("Location").orElse(null));
        assertEquals(200, send("GET", "/jobs/" + job, null).statusCode());

        problem(409, "name-in-use", "POST", "/nfs/files", "{\"path\":\"/depot/full.raw\",\"volume\":\"vm1\",\"snapshot\":\"gold\"}", "exists");
        problem(400, "bad-request", "POST", "/nfs/files", "{\"path\":\"/other/x.raw\",\"volume\":\"vm1\",\"snapshot\":\"gold\"}",
                "not inside an export");
        problem(400, "bad-request", "POST", "/nfs/files", "{\"path\":\"/depot/d/\",\"volume\":\"vm1\",\"snapshot\":\"gold\"}", "must name a file");
        problem(404, "not-found", "POST", "/nfs/files", "{\"path\":\"/depot/y.raw\",\"volume\":\"vm1\",\"snapshot\":\"nope\"}", "nope");
        problem(404, "not-found", "POST", "/nfs/files", "{\"path\":\"/depot/y.raw\",\"volume\":\"vm9\",\"snapshot\":\"gold\"}", "vm9");
        problem(409, "nfs-owned", "POST", "/nfs/files", "{\"path\":\"/depot/y.raw\",\"volume\":\"" + f.path("volume").asText()
                + "\",\"snapshot\":\"s\"}", "NFS gateway");
        problem(400, "bad-request", "POST", "/nfs/files", "{\"path\":\"/depot/y.raw\",\"volume\":\"vm1\"}", "'snapshot' is required");
        // the linked file reads through the snapshot: the engine keeps it
        problem(409, "dependent-clones", "DELETE", "/volumes/vm1/snapshots/gold", null, "");
    }

    @Test
    void withTheGatewayOffEveryNfsCallIs503() throws Exception {
        try (ApiServer off = ApiServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                DepotApi.router(new Appliance(pool, null, null)), ApiToken.loadOrCreate(dir))) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + off.address().getPort()
                    + "/api/v1/nfs/exports")).header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(503, r.statusCode());
            assertEquals("nfs-off", JSON.readTree(r.body()).path("code").asText());
        }
        assertTrue(Files.exists(dir.resolve(ApiToken.FILE)));
    }
}
