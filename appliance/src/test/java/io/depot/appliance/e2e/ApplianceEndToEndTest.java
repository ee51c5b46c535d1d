package io.depot.appliance.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.depot.appliance.RuntimeFile;
import io.depot.appliance.cli.ExitCodes;
import io.depot.appliance.metrics.PrometheusText;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The appliance as a user meets it: {@code depot serve} as a child process, driven only through the
 * {@code depot} CLI (as processes) and raw HTTP, with QEMU's iSCSI driver ({@code qemu-io}) as the
 * initiator writing and reading the LUNs. The tests run in order on one daemon; the last restarts it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ApplianceEndToEndTest extends DaemonTest {
    private static final String IQN = "iqn.2025-01.io.depot.test:e2e";

    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void start(@TempDir Path tmp) throws Exception {
        useFolder(tmp);
        requireTool("qemu-io", "qemu-utils");
        startDaemon();
    }

    @Test
    @Order(1)
    void healthIsOpenButEveryOtherCallNeedsTheToken() throws Exception {
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(data.resolve("api-token")));

        HttpResponse<String> health = send("GET", "/api/v1/health", null, null);
        assertEquals(200, health.statusCode());
        assertEquals("ok", json(health).path("status").asText());
        assertEquals(daemon.runtime().iscsi(), json(health).path("iscsi").asText());
        assertEquals(200, send("GET", "/api/v1/openapi.json", null, null).statusCode());
        // Prometheus scrapes without a token; the daemon wired its metrics (docs/appliance.md, Metrics)
        HttpResponse<String> metrics = send("GET", "/metrics", null, null);
        assertEquals(200, metrics.statusCode());
        PrometheusText scraped = PrometheusText.parse(metrics.body());
        assertTrue(scraped.value("depot_pool_capacity_bytes") > 0, metrics.body());
        assertEquals(0, scraped.value("depot_iscsi_sessions"), metrics.body());
        assertEquals(405, send("POST", "/metrics", "{}", null).statusCode());

        for (String token : new String[] {null, "not-the-token"}) {
            HttpResponse<String> create = send("POST", "/api/v1/volumes", "{\"name\":\"sneaky\",\"size\":\"1M\"}", token);
            assertProblem(create, 401, "unauthorized");
            assertTrue(create.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
            assertProblem(send("GET", "/api/v1/volumes", null, token), 401, "unauthorized");
            assertProblem(send("PUT", "/api/v1/iscsi/targets/" + IQN + "/chap", "{\"user\":\"u\",\"secret\":\"s\"}", token),
                    401, "unauthorized");
        }
        // nothing was created by the refused calls
        assertProblem(send("GET", "/api/v1/volumes/sneaky", null, token()), 404, "not-found");

        // the CLI with a wrong token file is refused with the auth exit code
        Path wrong = dir.resolve("wrong-token");
        Files.writeString(wrong, "not-the-token\n");
        Cli.Result r = cli.exits(ExitCodes.AUTH, "volume", "list", "--token-file", wrong.toString());
        assertTrue(r.err().contains("bearer token"), r.err());
        // and with nobody listening, the unreachable one
        cli.exits(ExitCodes.UNREACHABLE, "pool", "--api", "http://127.0.0.1:1");
    }

    @Test
    @Order(2)
    void aVolumeOnALunTakesQemuWritesAndItsSnapshotAndClonesReadBack() throws Exception {
        createVolumeAtLunZero("vm1", "64M", IQN);

        qemuIo(0, "write -P 0xa5 0 1M", "write -P 0x3c 32M 64k");
        // exactly qemu-io's bytes reached the engine, counted by the daemon's metrics
        assertEquals((1 << 20) + (64 << 10), PrometheusText.parse(send("GET", "/metrics", null, null).body())
                .value("depot_volume_io_bytes_total", "volume", "vm1", "op", "write"));
        cli.ok("snapshot", "create", "vm1@before");
        qemuIo(0, "write -P 0x5a 0 1M");

        Cli.Result linked = cli.ok("clone", "vm1@before", "vm1-linked");
        assertTrue(linked.out().contains("linked clone vm1-linked"), linked.out());
        JsonNode full = cli.ok("clone", "vm1@before", "vm1-full", "--full", "--json").json();
        String job = full.path("job").asText();
        assertEquals(full.path("volume").path("id").asText(), job);
        assertEquals("finished", awaitJob(job));
        JsonNode jobs = cli.ok("job", "list", "--json").json();
        assertTrue(names(jobs, "volume").contains("vm1-full"), jobs.toString());

        cli.ok("iscsi", "lun", "map", IQN, "1", "vm1-linked");
        cli.ok("iscsi", "lun", "map", IQN, "2", "vm1@before");
        cli.ok("iscsi", "lun", "map", IQN, "3", "vm1-full");

        qemuIo(0, "read -P 0x5a 0 1M", "read -P 0x3c 32M 64k");
        for (int lun = 1; lun <= 3; lun++) {
            qemuIo(lun, "read -P 0xa5 0 1M", "read -P 0x3c 32M 64k", "read -P 0 1M 1M");
        }
        // the linked clone is writable and its writes stay its own
        qemuIo(1, "write -P 0x11 0 64k", "read -P 0x11 0 64k");
        qemuIo(2, "read -P 0xa5 0 64k");
        // the snapshot LUN is read-only
        ProcessResult ro = runQemuIo(daemon.iscsiUrl(IQN, 2), false, "write -P 0x22 0 4k");
        assertNotEquals(0, ro.exit(), ro.output());
        assertTrue(ro.output().contains("write protected"), "a write to the snapshot LUN must fail: " + ro.output());
        qemuIo(2, "read -P 0xa5 0 64k");

        JsonNode volumes = cli.ok("volume", "list", "--json").json();
        assertEquals(Set.of("vm1", "vm1-linked", "vm1-full"), names(volumes, "name"));
        JsonNode vm1 = cli.ok("volume", "show", "vm1", "--json").json();
        assertEquals(64L << 20, vm1.path("size").asLong());
        assertTrue(vm1.path("allocated").asLong() >= (1L << 20), vm1.toString());
        assertEquals(1, vm1.path("snapshots").asInt());
        JsonNode target = cli.ok("iscsi", "target", "show", IQN, "--json").json();
        assertEquals(4, target.path("luns").size());
        assertEquals("before", target.path("luns").get(2).path("snapshot").asText());
        assertTrue(target.path("luns").get(2).path("readOnly").asBoolean());

        String table = cli.ok("volume", "list").out();
        assertTrue(table.startsWith("NAME") && table.contains("vm1-linked") && table.contains("64.0 MiB"), table);
        JsonNode pool = cli.ok("pool", "--json").json();
        assertEquals(1L << 30, pool.path("capacity").asLong());
        assertEquals(pool.path("capacity").asLong() - pool.path("used").asLong(), pool.path("free").asLong());
    }

    @Test
    @Order(3)
    void refusalsAreProblemDocumentsWithTheRightStatusAndExitCode() throws Exception {
        String t = token();
        assertProblem(send("GET", "/api/v1/volumes/nope", null, t), 404, "not-found");
        assertProblem(send("GET", "/api/v1/volumes/vm1/snapshots/nope", null, t), 404, "not-found");
        assertProblem(send("GET", "/api/v1/iscsi/targets/iqn.2025-01.io.depot:nope", null, t), 404, "not-found");
        assertProblem(send("GET", "/api/v1/no/such/thing", null, t), 404, "not-found");
        cli.exits(ExitCodes.NOT_FOUND, "volume", "show", "nope");
        cli.exits(ExitCodes.NOT_FOUND, "snapshot", "delete", "vm1@nope");
        cli.exits(ExitCodes.NOT_FOUND, "iscsi", "lun", "unmap", IQN, "9");

        assertProblem(send("POST", "/api/v1/volumes", "{\"name\":\"vm1\",\"size\":\"1M\"}", t), 409, "name-in-use");
        cli.exits(ExitCodes.CONFLICT, "volume", "create", "vm1", "--size", "1M");
        cli.exits(ExitCodes.CONFLICT, "iscsi", "target", "create", IQN);
        // a snapshot with a linked clone reading through it
        cli.ok("snapshot", "create", "vm1@base");
        cli.ok("clone", "vm1@base", "dependent");
        assertProblem(send("DELETE", "/api/v1/volumes/vm1/snapshots/base", null, t), 409, "dependent-clones");
        Cli.Result dep = cli.exits(ExitCodes.CONFLICT, "snapshot", "delete", "vm1@base");
        assertTrue(dep.err().contains("dependent"), dep.err());
        // still mapped
        assertProblem(send("DELETE", "/api/v1/volumes/vm1", null, t), 409, "mapped");
        cli.exits(ExitCodes.CONFLICT, "snapshot", "delete", "vm1@before");
        // a LUN serving something else
        assertProblem(send("PUT", "/api/v1/iscsi/targets/" + IQN + "/luns/0", "{\"volume\":\"dependent\"}", t), 409, "lun-in-use");
        // mapping what is already there is fine (PUT is idempotent)
        assertEquals(200, send("PUT", "/api/v1/iscsi/targets/" + IQN + "/luns/0", "{\"volume\":\"vm1\"}", t).statusCode());
        // shrinking needs consent; rolling back over newer snapshots too
        assertProblem(send("PATCH", "/api/v1/volumes/vm1", "{\"size\":\"32M\"}", t), 409, "shrink-refused");
        cli.exits(ExitCodes.CONFLICT, "snapshot", "rollback", "vm1@before");

        assertProblem(send("POST", "/api/v1/volumes", "{\"name\":\"x\",\"size\":\"lots\"}", t), 400, "bad-request");
        assertProblem(send("POST", "/api/v1/volumes", "{\"name\":\"x\"", t), 400, "bad-request");
        assertProblem(send("POST", "/api/v1/volumes", "{\"size\":\"1M\"}", t), 400, "bad-request");
        assertProblem(send("POST", "/api/v1/volumes", "{\"name\":\"../etc\",\"size\":\"1M\"}", t), 400, "bad-request");
        assertProblem(send("PUT", "/api/v1/iscsi/targets/" + IQN + "/luns/99999", "{\"volume\":\"vm1\"}", t), 400, "bad-request");
        assertProblem(send("POST", "/api/v1/iscsi/targets", "{\"name\":\"not an iqn\"}", t), 400, "bad-request");
        assertProblem(send("DELETE", "/api/v1/pool", null, t), 405, "method-not-allowed");
        cli.exits(ExitCodes.USAGE, "volume", "create", "x", "--size", "12Q");
        cli.exits(ExitCodes.USAGE, "snapshot", "create", "no-at-sign");
        cli.exits(ExitCodes.USAGE, "volume", "frobnicate");

        // none of the refusals changed anything
        assertEquals(Set.of("vm1", "vm1-linked", "vm1-full", "dependent"), names(cli.ok("volume", "list", "--json").json(), "name"));
        assertEquals(64L << 20, cli.ok("volume", "show", "vm1", "--json").json().path("size").asLong());

        // the happy paths of the same operations
        cli.ok("volume", "resize", "dependent", "128M");
        cli.ok("volume", "rename", "dependent", "renamed");
        assertEquals(128L << 20, cli.ok("volume", "show", "renamed", "--json").json().path("size").asLong());
        cli.ok("volume", "delete", "renamed");
        cli.ok("snapshot", "delete", "vm1@base");
        cli.ok("iscsi", "acl", "set", IQN, "iqn.1993-08.org.debian:01:e2e");
        cli.ok("iscsi", "acl", "clear", IQN);
        cli.ok("iscsi", "chap", "set", IQN, "user", "secretsecret12");
        JsonNode withChap = cli.ok("iscsi", "target", "show", IQN, "--json").json();
        assertEquals("user", withChap.path("chapUser").asText());
        assertFalse(withChap.toString().contains("secretsecret12"), "secrets never leave the appliance");
        cli.ok("iscsi", "chap", "off", IQN);
    }

    @Test
    @Order(4)
    void afterARestartEverythingIsInPlace() throws Exception {
        String tokenBefore = token();
        // a JVM ended by SIGTERM exits 143 (128 + 15) after its shutdown hooks ran (systemd: SuccessExitStatus=143)
        assertEquals(143, daemon.stop());
        assertTrue(daemon.log().contains("pool closed cleanly"), daemon.log());
        assertFalse(Files.exists(data.resolve(RuntimeFile.FILE)), "a clean stop removes the runtime file");
        cli.exits(ExitCodes.UNREACHABLE, "volume", "list");

        daemon = Daemon.start(data);
        assertEquals(tokenBefore, token(), "the token survives restarts");
        assertEquals(Set.of("vm1", "vm1-linked", "vm1-full"), names(cli.ok("volume", "list", "--json").json(), "name"));
        assertEquals(Set.of("before"), names(cli.ok("snapshot", "list", "vm1", "--json").json(), "name"));
        JsonNode target = cli.ok("iscsi", "target", "show", IQN, "--json").json();
        assertEquals(4, target.path("luns").size());
        assertTrue(target.path("chapUser").isNull(), target.toString());

        qemuIo(0, "read -P 0x5a 0 1M", "read -P 0x3c 32M 64k");
        qemuIo(1, "read -P 0x11 0 64k", "read -P 0xa5 64k 960k");
        qemuIo(2, "read -P 0xa5 0 1M");
        qemuIo(3, "read -P 0xa5 0 1M", "read -P 0x3c 32M 64k");
        JsonNode full = cli.ok("volume", "show", "vm1-full", "--json").json();
        assertFalse(full.path("linkedClone").asBoolean(), "the full clone is independent: " + full);
    }

    // ---- helpers ----

    private String awaitJob(String id) {
        // each poll is a CLI process run (~1 s); a 64 MiB volume with 1 MiB of data flattens in far less
        for (int i = 0; i < 60; i++) {
            String state = cli.ok("job", "show", id, "--json").json().path("state").asText();
            if (!state.equals("running")) {
                return state;
            }
        }
        return fail("job " + id + " still running after 60 polls");
    }

    private void qemuIo(int lun, String... commands) {
        // LUN 2 serves a snapshot: qemu-io opens it read-only (-r) or QEMU refuses the write-protected LUN
        ProcessResult r = runQemuIo(daemon.iscsiUrl(IQN, lun), lun == 2, commands);
        assertEquals(0, r.exit(), r.output());
        assertFalse(r.output().contains("Pattern verification failed") || r.output().toLowerCase().contains("error"),
                "qemu-io on LUN " + lun + ": " + r.output());
    }

    record ProcessResult(int exit, String output) {}

    private ProcessResult runQemuIo(String url, boolean readOnly, String... commands) {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
        if (readOnly) {
            cmd.add("-r");
        }
        for (String c : commands) {
            cmd.add("-c");
            cmd.add(c);
        }
        cmd.add(url);
        try {
            Path log = Files.createTempFile(dir, "qemu-io", ".log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                fail(String.join(" ", cmd) + " did not finish within 120 s");
            }
            return new ProcessResult(p.exitValue(), Files.readString(log, StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private HttpResponse<String> send(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(daemon.api() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertProblem(HttpResponse<String> r, int status, String code) throws IOException {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""), r.body());
        JsonNode p = json(r);
        assertEquals(status, p.path("status").asInt(), r.body());
        assertEquals(code, p.path("code").asText(), r.body());
        assertNotEquals("", p.path("title").asText(), r.body());
        assertNotEquals("", p.path("detail").asText(), r.body());
    }

    private static JsonNode json(HttpResponse<String> r) throws IOException {
        return Daemon.JSON.readTree(r.body());
    }

    private static Set<String> names(JsonNode array, String field) {
        Set<String> out = new TreeSet<>();
        array.forEach(n -> out.add(n.path(field).asText()));
        return out;
    }

    private String token() throws IOException {
        return Files.readString(data.resolve("api-token")).trim();
    }

    private static void requireTool(String tool, String debianPackage) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return;
            }
        }
        fail(tool + " is not installed; install the Debian package " + debianPackage + " (.ci/run does)");
    }
}
