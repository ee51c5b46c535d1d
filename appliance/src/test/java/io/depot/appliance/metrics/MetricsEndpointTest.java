package io.depot.appliance.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.depot.appliance.api.ApiServer;
import io.depot.appliance.api.ApiToken;
import io.depot.appliance.daemon.Appliance;
import io.depot.appliance.api.DepotApi;
import io.depot.appliance.api.MetricsEndpoint;
import io.depot.engine.FlattenJob;
import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.Volume;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.NfsGatewaySettings;
import io.depot.nfs.portmap.PortAdvertiser;
import io.depot.iscsi.IscsiService;
import io.depot.iscsi.fabric.IscsiSettings;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's pieces in-process (a real pool, the iSCSI target, the NFS gateway and the HTTP API
 * with {@code /metrics}, wired as {@code depot serve} wires them), driven by engine calls, QEMU's
 * iSCSI driver ({@code qemu-io}) and libnfs ({@code nfs-cp}, {@code nfs-cat}); every figure is read
 * back by scraping {@code GET /metrics} over HTTP and parsing the text format strictly.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsEndpointTest {
    private static final String IQN = "iqn.2025-01.lan.depot:metrics";
    private static final long CAPACITY = 512L << 20;

    private Path dir;

    private Pool pool;
    private IscsiService iscsi;
    private NfsGateway nfs;
    private DepotMetrics metrics;
    private ApiServer api;
    private String token;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void start(@TempDir Path tmp) throws IOException {
        dir = tmp;
        pool = Pool.create(dir.resolve("pool"), PoolOptions.ofCapacity(CAPACITY));
        iscsi = new IscsiService(pool).start(IscsiSettings.defaults().withPortal(new InetSocketAddress("127.0.0.1", 0)));
        // the embedded portmapper on a free port of its own: libnfs is told the NFS port in its URL
        nfs = NfsGateway.start(pool, NfsGatewaySettings.defaults().withPort(0)
                .withPortmapper(new PortAdvertiser.Config(InetAddress.getLoopbackAddress(), 0, dir.resolve("no-rpcbind.sock"))));
        metrics = new DepotMetrics(pool, iscsi, nfs);
        api = ApiServer.start(new InetSocketAddress("127.0.0.1", 0), DepotApi.router(new Appliance(pool, iscsi, nfs)),
                ApiToken.loadOrCreate(dir));
        api.serveMetrics(new MetricsEndpoint(metrics::scrape, DepotMetrics.CONTENT_TYPE));
        token = ApiToken.read(dir.resolve(ApiToken.FILE));
    }

    @AfterAll
    void stop() {
        if (api != null) {
            api.close();
        }
        if (metrics != null) {
            metrics.close();
        }
        if (nfs != null) {
            nfs.close();
        }
        if (iscsi != null) {
            iscsi.close();
        }
        if (pool != null) {
            pool.close();
        }
    }

    // ------------------------------------------------------------------ tests

    @Test
    void engineIoIsCountedPerVolumeWithBytesAndLatency() throws Exception {
        Volume v = pool.createVolume("metrics-engine", 64L << 20);
        for (int i = 0; i < 3; i++) {
            v.write(i * (1L << 20), ByteBuffer.allocate(4096));
        }
        v.read(0, ByteBuffer.allocate(8192));
        v.read(1L << 20, ByteBuffer.allocate(8192));
        v.flush();
        v.unmap(2L << 20, 65536);
        v.compareAndWrite(0, ByteBuffer.allocate(512), ByteBuffer.allocate(512));

        PrometheusText m = scrape();
        String[] vol = {"volume", "metrics-engine"};
        assertEquals(4, m.value("depot_volume_io_seconds_count", with(vol, "op", "write")));
        assertEquals(3 * 4096 + 512, m.value("depot_volume_io_bytes_total", with(vol, "op", "write")));
        assertEquals(2, m.value("depot_volume_io_seconds_count", with(vol, "op", "read")));
        assertEquals(16384, m.value("depot_volume_io_bytes_total", with(vol, "op", "read")));
        assertEquals(1, m.value("depot_volume_io_seconds_count", with(vol, "op", "flush")));
        assertEquals(1, m.value("depot_volume_io_seconds_count", with(vol, "op", "unmap")));
        assertEquals(65536, m.value("depot_volume_io_bytes_total", with(vol, "op", "unmap")));
        // the histogram: cumulative buckets ending in +Inf = count, and a positive time sum
        assertEquals(4, m.value("depot_volume_io_seconds_bucket", with(vol, "op", "write", "le", "+Inf")));
        List<PrometheusText.Sample> buckets = m.find("depot_volume_io_seconds_bucket", with(vol, "op", "write"));
        assertEquals(16, buckets.size(), "15 bounds and +Inf");
        for (int i = 1; i < buckets.size(); i++) {
            assertTrue(buckets.get(i).value() >= buckets.get(i - 1).value(), "cumulative: " + buckets);
        }
        assertTrue(m.value("depot_volume_io_seconds_sum", with(vol, "op", "write")) > 0);

        // a rename moves the series to the new name; a delete removes them
        v.rename("metrics-renamed");
        v.write(0, ByteBuffer.allocate(4096));
        m = scrape();
        assertTrue(m.find("depot_volume_io_seconds_count", vol).isEmpty(), "old name's series are gone");
        assertEquals(1, m.value("depot_volume_io_seconds_count", "volume", "metrics-renamed", "op", "write"));
        v.delete();
        assertTrue(scrape().find("depot_volume_io_seconds_count", "volume", "metrics-renamed").isEmpty());
    }

    @Test
    void poolGaugesShowSpaceVolumesSnapshotsAndOvercommit() throws Exception {
        Volume v = pool.createVolume("metrics-pool", 1L << 30); // 1 GiB on a 512 MiB pool: overcommitted
        v.write(0, ByteBuffer.allocate(65536));
        v.createSnapshot("s1");
        v.createSnapshot("s2");
        try {
            PrometheusText m = scrape();
            var u = pool.usage();
            assertEquals(CAPACITY, m.value("depot_pool_capacity_bytes"));
            assertEquals(u.usedBytes(), m.value("depot_pool_used_bytes"));
            assertTrue(u.usedBytes() >= 65536);
            assertEquals(CAPACITY - u.usedBytes(), m.value("depot_pool_free_bytes"));
            assertEquals(u.provisionedBytes(), m.value("depot_pool_provisioned_bytes"));
            assertTrue(m.value("depot_pool_overcommit_ratio") >= 2.0, "1 GiB provisioned on 512 MiB");
            assertEquals(u.volumes(), m.value("depot_pool_volumes"));
            assertTrue(u.snapshots() >= 2);
            assertEquals(u.snapshots(), m.value("depot_pool_snapshots"));
        } finally {
            for (var s : v.snapshots()) {
                s.delete();
            }
            v.delete();
        }
    }

    @Test
    void aFullCloneShowsAsAJobThatFinishes() throws Exception {
        Volume origin = pool.createVolume("metrics-origin", 8L << 20);
        origin.write(0, ByteBuffer.allocate(1 << 20));
        Volume clone = origin.createSnapshot("base").fullClone("metrics-clone");
        FlattenJob job = clone.flattenJob();
        assertTrue(job.await(60, TimeUnit.SECONDS), "flatten did not finish");
        PrometheusText m = scrape();
        String[] labels = {"job", clone.uuid().toString(), "kind", "flatten", "volume", "metrics-clone", "state", "finished"};
        assertEquals(1.0, m.value("depot_job_progress_ratio", labels));
        assertTrue(m.value("depot_jobs", "kind", "flatten", "state", "finished") >= 1);
        assertEquals(0, m.value("depot_jobs", "kind", "flatten", "state", "running"));
        clone.delete();
        assertTrue(scrape().find("depot_job_progress_ratio", "volume", "metrics-clone").isEmpty(), "a deleted clone's job is gone");
    }

    @Test
    void iscsiCommandsSessionsAndConnectionsThroughQemu() throws Exception {
        Volume v = pool.createVolume("metrics-lun", 16L << 20);
        iscsi.createTarget(IQN, null);
        iscsi.mapVolume(IQN, 0, v);
        PrometheusText before = scrape();
        assertEquals(0, before.value("depot_iscsi_sessions"));

        // qemu-io reading commands from a pipe keeps its session open until "quit"
        Process q = new ProcessBuilder("qemu-io", "-f", "raw", iscsiUrl(0)).redirectErrorStream(true)
                .redirectOutput(dir.resolve("qemu-io.log").toFile()).start();
        try (Writer in = new OutputStreamWriter(q.getOutputStream(), StandardCharsets.UTF_8)) {
            PrometheusText during = scrapeUntil(m -> m.value("depot_iscsi_sessions") == 1);
            assertEquals(1, during.value("depot_iscsi_connections"));
            in.write("write -P 0xab 0 64k\nwrite -P 0xcd 1M 128k\nread -P 0xab 0 64k\nflush\nquit\n");
        }
        assertTrue(q.waitFor(60, TimeUnit.SECONDS), "qemu-io did not finish");
        String log = Files.readString(dir.resolve("qemu-io.log"));
        assertEquals(0, q.exitValue(), log);
        assertTrue(log.contains("wrote 131072/131072 bytes at offset 1048576") && log.contains("read 65536/65536 bytes at offset 0"), log);

        PrometheusText after = scrape();
        String[] vol = {"volume", "metrics-lun"};
        // exactly the bytes qemu-io wrote reached the engine, in as many writes as the target got WRITE commands
        assertEquals(65536 + 131072, after.value("depot_volume_io_bytes_total", with(vol, "op", "write")));
        double writeCommands = delta(before, after, "WRITE(10)") + delta(before, after, "WRITE(16)");
        assertEquals(writeCommands, after.value("depot_volume_io_seconds_count", with(vol, "op", "write")));
        assertTrue(writeCommands >= 2, "writes: " + writeCommands);
        double readCommands = delta(before, after, "READ(10)") + delta(before, after, "READ(16)");
        assertTrue(readCommands >= 1);
        assertEquals(readCommands, after.value("depot_volume_io_seconds_count", with(vol, "op", "read")));
        assertTrue(delta(before, after, "SYNCHRONIZE CACHE(10)") + delta(before, after, "SYNCHRONIZE CACHE(16)") >= 1);
        assertEquals(after.value("depot_volume_io_seconds_count", with(vol, "op", "flush")),
                delta(before, after, "SYNCHRONIZE CACHE(10)") + delta(before, after, "SYNCHRONIZE CACHE(16)"));
        assertTrue(delta(before, after, "INQUIRY") >= 1, "login probes with INQUIRY");
        assertTrue(after.value("depot_iscsi_command_seconds_sum", "opcode", "INQUIRY") > 0);
        // READ CAPACITY(16) is a service action of SERVICE ACTION IN(16): counted under the opcode's name
        assertTrue(delta(before, after, "SERVICE ACTION IN(16)") + delta(before, after, "READ CAPACITY(10)") >= 1);
        assertEquals(0, after.valueOrZero("depot_iscsi_command_errors_total", "opcode", "WRITE(10)")
                + after.valueOrZero("depot_iscsi_command_errors_total", "opcode", "WRITE(16)"), "writes all GOOD");
        // the session ends with qemu-io
        scrapeUntil(m -> m.value("depot_iscsi_sessions") == 0 && m.value("depot_iscsi_connections") == 0);

        // a connection that never logs in counts as a connection, not a session
        try (Socket s = new Socket("127.0.0.1", iscsi.address().getPort())) {
            PrometheusText m = scrapeUntil(x -> x.value("depot_iscsi_connections") == 1);
            assertEquals(0, m.value("depot_iscsi_sessions"));
        }
    }

    @Test
    void nfsProceduresAndTheFileVolumesThroughLibnfs() throws Exception {
        Path local = dir.resolve("payload.bin");
        byte[] payload = new byte[300_000];
        new java.util.Random(7).nextBytes(payload);
        Files.write(local, payload);
        PrometheusText before = scrape();
        // libnfs takes no locks: the lock manager's gauges are there and read its empty state
        assertEquals(0, before.value("depot_nfs_locks"));
        assertEquals(0, before.value("depot_nfs_lock_waiters"));
        assertEquals(0, before.value("depot_nfs_lock_clients"));
        run("nfs-cp", local.toString(), nfsUrl("/depot/metrics.bin"));
        String cat = run("nfs-cat", nfsUrl("/depot/metrics.bin"));
        assertEquals(payload.length, cat.getBytes(StandardCharsets.ISO_8859_1).length);
        PrometheusText after = scrape();

        assertEquals(2, nfsDelta(before, after, "mount", "MNT"), "one mount per tool run");
        assertEquals(1, nfsDelta(before, after, "nfs", "CREATE"), "nfs-cp creates the file");
        double writes = nfsDelta(before, after, "nfs", "WRITE");
        double reads = nfsDelta(before, after, "nfs", "READ");
        assertTrue(writes >= 1 && reads >= 1, "writes " + writes + ", reads " + reads);
        assertTrue(after.value("depot_nfs_call_seconds_sum", "program", "nfs", "procedure", "WRITE") > 0);
        // the file is an engine volume: its bytes show under the shared nfs-files series, the file's
        // tail rounded up to whole 512-byte sectors (the gateway writes the engine sector by sector)
        String[] files = {"volume", VolumeIoMeters.NFS_FILES};
        assertEquals((payload.length + 511) / 512 * 512, after.value("depot_volume_io_bytes_total", with(files, "op", "write"))
                - before.valueOrZero("depot_volume_io_bytes_total", with(files, "op", "write")));
        assertEquals(writes, after.value("depot_volume_io_seconds_count", with(files, "op", "write"))
                - before.valueOrZero("depot_volume_io_seconds_count", with(files, "op", "write")), "one engine write per NFS WRITE");
        assertTrue(after.value("depot_volume_io_bytes_total", with(files, "op", "read"))
                - before.valueOrZero("depot_volume_io_bytes_total", with(files, "op", "read")) >= payload.length);
    }

    @Test
    void theEndpointIsOpenReadOnlyAndInTheTextFormat() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base() + "/metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals(DepotMetrics.CONTENT_TYPE, r.headers().firstValue("Content-Type").orElse(""));
        PrometheusText m = PrometheusText.parse(r.body());
        assertEquals("histogram", m.types.get("depot_volume_io_seconds"));
        assertEquals("gauge", m.types.get("depot_pool_capacity_bytes"));
        assertTrue(m.hasSample("jvm_memory_used_bytes") && m.hasSample("process_uptime_seconds")
                && m.hasSample("jvm_threads_live_threads") && m.hasSample("process_cpu_usage"), "JVM and process binders");
        for (String method : new String[] {"POST", "PUT", "DELETE"}) {
            HttpResponse<String> no = http.send(HttpRequest.newBuilder(URI.create(base() + "/metrics"))
                    .method(method, HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, no.statusCode(), method);
            assertEquals("GET, HEAD", no.headers().firstValue("Allow").orElse(""));
            assertTrue(no.body().contains("\"code\":\"method-not-allowed\""), no.body());
        }
        assertEquals(404, http.send(HttpRequest.newBuilder(URI.create(base() + "/metrics/x")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        // the API itself still needs the token, and works with it
        assertEquals(401, http.send(HttpRequest.newBuilder(URI.create(base() + "/api/v1/pool")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base() + "/api/v1/pool"))
                .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode());
    }

    /**
     * deploy/grafana/depot-dashboard.json is valid JSON with a Prometheus data source variable, and
     * every metric its queries name, and every label they group or filter by, is in a real scrape
     * taken after engine, iSCSI, NFS and job activity.
     */
    @Test
    void theGrafanaDashboardQueriesMetricsThatExist() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(Path.of("").toAbsolutePath().getParent()
                .resolve("deploy/grafana/depot-dashboard.json").toFile());
        JsonNode ds = dashboard.path("templating").path("list").get(0);
        assertEquals("datasource", ds.path("type").asText());
        assertEquals("prometheus", ds.path("query").asText());

        // activity so that every series exists: engine I/O of all kinds, a job, iSCSI and NFS calls, a GC
        Volume v = pool.createVolume("metrics-dash", 8L << 20);
        v.write(0, ByteBuffer.allocate(65536));
        v.read(0, ByteBuffer.allocate(4096));
        v.flush();
        v.unmap(0, 65536);
        Volume clone = v.createSnapshot("base").fullClone("metrics-dash-clone");
        assertTrue(clone.flattenJob().await(60, TimeUnit.SECONDS));
        iscsi.createTarget(IQN + "-dash", null);
        iscsi.mapVolume(IQN + "-dash", 0, v);
        run("qemu-io", "-f", "raw", "-c", "write -P 1 0 4k", "iscsi://127.0.0.1:" + iscsi.address().getPort() + "/" + IQN + "-dash/0");
        Path small = dir.resolve("small.txt");
        Files.writeString(small, "hello");
        run("nfs-cp", small.toString(), nfsUrl("/depot/dash.txt"));
        System.gc();
        PrometheusText m = scrapeUntil(x -> x.hasSample("jvm_gc_pause_seconds_sum"));

        List<String> exprs = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode t : panel.path("targets")) {
                exprs.add(t.path("expr").asText());
            }
        }
        for (JsonNode var : dashboard.path("templating").path("list")) {
            if (var.path("type").asText().equals("query")) {
                exprs.add(var.path("definition").asText());
            }
        }
        assertTrue(exprs.size() >= 30, "queries: " + exprs.size());
        Pattern metric = Pattern.compile("\\b(?:depot|jvm|process|system)_[a-z0-9_]+\\b");
        Pattern grouping = Pattern.compile("by \\(([^)]*)\\)|([a-z_]+)=~?\"|label_values\\([^,]+, ([a-z_]+)\\)");
        for (String expr : exprs) {
            Matcher names = metric.matcher(expr);
            List<String> used = new ArrayList<>();
            while (names.find()) {
                used.add(names.group());
                assertTrue(m.hasSample(names.group()), "the dashboard queries " + names.group() + ", which no scrape has: " + expr);
            }
            assertFalse(used.isEmpty(), "a query with no Depot metric: " + expr);
            Matcher labels = grouping.matcher(expr);
            while (labels.find()) {
                String list = labels.group(1) != null ? labels.group(1) : labels.group(2) != null ? labels.group(2) : labels.group(3);
                for (String label : list.split(",\\s*")) {
                    // instance is added by Prometheus when it scrapes; le is the histogram's bucket label
                    if (label.equals("instance") || label.equals("le")) {
                        continue;
                    }
                    assertTrue(used.stream().anyMatch(n -> m.samples.stream()
                                    .anyMatch(smp -> smp.name().equals(n) && smp.labels().containsKey(label))),
                            "label " + label + " is on none of " + used + ": " + expr);
                }
            }
        }
        clone.delete();
    }

    // ------------------------------------------------------------------ helpers

    String base() { return "http://127.0.0.1:" + api.address().getPort(); }

    PrometheusText scrape() throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base() + "/metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return PrometheusText.parse(r.body());
    }

    /** Scrapes until a condition on the figures holds (a session closes asynchronously); fails after 30 s. */
    PrometheusText scrapeUntil(Predicate<PrometheusText> condition) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        PrometheusText m;
        while (!condition.test(m = scrape())) {
            if (System.nanoTime() > deadline) {
                fail("condition not reached in 30 s; last scrape: iscsi sessions " + m.value("depot_iscsi_sessions")
                        + ", connections " + m.value("depot_iscsi_connections"));
            }
            Thread.onSpinWait();
        }
        return m;
    }

    private static double delta(PrometheusText before, PrometheusText after, String opcode) {
        return after.valueOrZero("depot_iscsi_command_seconds_count", "opcode", opcode)
                - before.valueOrZero("depot_iscsi_command_seconds_count", "opcode", opcode);
    }

    private static double nfsDelta(PrometheusText before, PrometheusText after, String program, String procedure) {
        return after.valueOrZero("depot_nfs_call_seconds_count", "program", program, "procedure", procedure)
                - before.valueOrZero("depot_nfs_call_seconds_count", "program", program, "procedure", procedure);
    }

    private static String[] with(String[] first, String... more) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    String iscsiUrl(int lun) { return "iscsi://127.0.0.1:" + iscsi.address().getPort() + "/" + IQN + "/" + lun; }

    String nfsUrl(String path) {
        int port = nfs.address().getPort();
        return "nfs://127.0.0.1" + path + "?version=3&nfsport=" + port + "&mountport=" + port;
    }

    /** Runs an external client; its stdout (ISO-8859-1) when it exits 0, else a failure with its output. */
    String run(String... cmd) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "tool", ".out");
        Path err = Files.createTempFile(dir, "tool", ".err");
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        } catch (IOException e) {
            throw new AssertionError(cmd[0] + " is not installed (Debian: libnfs-utils, qemu-utils, qemu-block-extra)", e);
        }
        p.getOutputStream().close();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            fail(String.join(" ", cmd) + " did not finish in 60 s");
        }
        String stdout = Files.readString(out, StandardCharsets.ISO_8859_1);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + Files.readString(err) + stdout);
        assertFalse(stdout.isEmpty() && cmd[0].equals("nfs-cat"), "nfs-cat printed nothing");
        return stdout;
    }
}
