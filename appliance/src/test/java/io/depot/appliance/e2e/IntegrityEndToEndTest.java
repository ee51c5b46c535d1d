package io.depot.appliance.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.depot.appliance.cli.ExitCodes;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged data as users and clients see it, on real files: a recognisable 4 KiB block is written
 * through a real client, found in the pool's data file by its bytes (no engine hook), one byte of it
 * flipped with a FileChannel; then QEMU's iSCSI driver ({@code qemu-io}) and libnfs's
 * {@code nfs-cat} must get an I/O error (never the data), the daemon must say degraded on
 * {@code /health}, {@code depot health}, {@code depot pool}, {@code /integrity} and {@code /metrics},
 * and a backup export of a snapshot holding the block must be cut short so that no import accepts it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IntegrityEndToEndTest extends DaemonTest {
    private static final String IQN = "iqn.2025-01.io.depot.test:integrity";
    private static final int BLOCK = 4096;
    /** The damaged block's byte offset in volume vm. */
    private static final long DAMAGED = 3 * 65536 + 2 * BLOCK;

    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void start(@TempDir Path tmp) throws Exception {
        useFolder(tmp);
        for (String tool : List.of("qemu-io", "nfs-cp", "nfs-cat")) {
            requireTool(tool);
        }
        startDaemonWithIscsiAndNfs();
    }

    @Test
    @Order(1)
    void aHealthyPoolSaysOk() throws Exception {
        assertEquals("ok", json(get("/api/v1/health", false)).path("status").asText());
        JsonNode integrity = json(get("/api/v1/integrity", true));
        assertFalse(integrity.path("degraded").asBoolean());
        assertEquals(0, integrity.path("damagedBlocks").asInt());
        assertEquals(0, cli.ok("pool", "--json").json().path("damagedBlocks").asInt());
        assertTrue(cli.ok("integrity").out().contains("No damaged data known."));
    }

    @Test
    @Order(2)
    void qemuReadingADamagedBlockOverIscsiGetsAnIoError() throws Exception {
        createVolumeAtLunZero("vm", "16M", IQN);
        // 0x5a repeated: a 4 KiB block no other test data holds
        qemuIo(0, "write -P 0x5a " + DAMAGED + " " + BLOCK, "write -P 0x11 0 " + BLOCK, "flush");
        byte[] block = new byte[BLOCK];
        Arrays.fill(block, (byte) 0x5a);
        flipAByteOf(block);

        ProcessResult damaged = runQemuIo(0, "read -P 0x5a " + DAMAGED + " " + BLOCK);
        assertTrue(damaged.output().contains("Input/output error"), "qemu-io must get an I/O error, got: " + damaged.output());
        assertFalse(damaged.output().contains("Pattern verification failed"), "damaged data was returned: " + damaged.output());
        // the LU and the target stay up: an undamaged block still reads back
        ProcessResult good = runQemuIo(0, "read -P 0x11 0 " + BLOCK);
        assertEquals(0, good.exit(), good.output());
        assertFalse(good.output().toLowerCase().contains("error"), good.output());
    }

    @Test
    @Order(3)
    void healthPoolIntegrityAndMetricsNameTheDamage() throws Exception {
        JsonNode health = json(get("/api/v1/health", false));
        assertEquals("degraded", health.path("status").asText(), health.toString());
        assertTrue(health.path("reason").asText().contains("1 damaged"), health.toString());
        assertEquals("vm", health.path("damage").get(0).path("volume").asText());
        assertEquals(DAMAGED, health.path("damage").get(0).path("offset").asLong());

        JsonNode integrity = json(get("/api/v1/integrity", true));
        assertTrue(integrity.path("degraded").asBoolean());
        assertEquals(1, integrity.path("damagedBlocks").asInt(), integrity.toString());
        JsonNode b = integrity.path("damage").get(0);
        assertEquals("vm", b.path("volume").asText());
        assertTrue(b.path("snapshot").isNull(), "found through the head");
        assertEquals(DAMAGED, b.path("offset").asLong());
        assertEquals("read", b.path("foundBy").asText());
        assertTrue(integrity.path("detections").asLong() >= 1);

        String healthText = cli.ok("health").out();
        assertTrue(healthText.contains("degraded") && healthText.contains("volume vm at offset " + DAMAGED), healthText);
        assertTrue(cli.ok("pool").out().contains("damaged blocks:  1 (degraded"), cli.ok("pool").out());
        assertTrue(cli.ok("integrity").out().contains(String.valueOf(DAMAGED)));

        String metrics = get("/metrics", false).body();
        assertEquals(1.0, sample(metrics, "depot_pool_damaged_blocks"), metrics);
        assertTrue(sample(metrics, "depot_data_checksum_errors_total") >= 1.0);
        assertTrue(sample(metrics, "depot_pool_unverified_clusters") >= 0.0);
    }

    @Test
    @Order(4)
    void anExportOfDamagedDataIsCutShortAndNoImportAcceptsIt() throws Exception {
        cli.ok("snapshot", "create", "vm@before-restore");
        // the CLI: no file, a message that says where to look
        Path file = dir.resolve("vm.depot");
        Cli.Result export = cli.exits(ExitCodes.SERVER_ERROR, "snapshot", "export", "vm@before-restore", "-o", file.toString());
        assertTrue(export.err().contains("broke off"), export.err());
        assertFalse(Files.exists(file) || Files.exists(file.resolveSibling("vm.depot.partial")));
        // raw HTTP: the stream ends short of its Content-Length; what did arrive is refused on import
        byte[] cut = readUntilCut("/api/v1/volumes/vm/snapshots/before-restore/export");
        Path cutFile = Files.write(dir.resolve("cut.depot"), cut);
        Cli.Result imported = cli.exits(ExitCodes.USAGE, "snapshot", "import", "-i", cutFile.toString(), "--volume", "restored");
        assertTrue(imported.err().contains("truncated"), imported.err());
        assertTrue(daemon.log().contains("export of") && daemon.log().contains("cut short"), "the daemon says why");
    }

    @Test
    @Order(5)
    void nfsCatOfADamagedFileGetsAnIoErrorAndTheServerStaysUp() throws Exception {
        byte[] payload = new byte[4 * BLOCK];
        new Random(0x1ce).nextBytes(payload);
        Path local = Files.write(dir.resolve("disk.img"), payload);
        Path other = Files.write(dir.resolve("other.txt"), "undamaged\n".getBytes(StandardCharsets.UTF_8));
        run(List.of("nfs-cp", local.toString(), nfsUrl("/depot/disk.img")), 0);
        run(List.of("nfs-cp", other.toString(), nfsUrl("/depot/other.txt")), 0);
        flipAByteOf(Arrays.copyOfRange(payload, 2 * BLOCK, 3 * BLOCK));

        ProcessResult cat = run(List.of("timeout", "30", "nfs-cat", nfsUrl("/depot/disk.img")), -1);
        assertNotEquals(0, cat.exit(), "nfs-cat must fail on the damaged block");
        assertFalse(cat.output().contains(new String(payload, 2 * BLOCK, 64, StandardCharsets.ISO_8859_1)), "no damaged data returned");
        assertTrue(run(List.of("timeout", "30", "nfs-cat", nfsUrl("/depot/other.txt")), 0).output().contains("undamaged"));
        assertTrue(daemon.log().contains("NFS READ of file inode"), "the gateway names the file");
        assertEquals(2, json(get("/api/v1/integrity", true)).path("damagedBlocks").asInt());
    }

    // ---- the damage --------------------------------------------------------------------------

    /**
     * Finds {@code block} (4 KiB, 4 KiB aligned) in the pool's data file, polling until the daemon
     * has written it there, and flips one byte of it in place.
     */
    // ---- clients -----------------------------------------------------------------------------

    record ProcessResult(int exit, String output) {}

    private ProcessResult runQemuIo(int lun, String... commands) {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
        for (String c : commands) {
            cmd.addAll(List.of("-c", c));
        }
        cmd.add(daemon.iscsiUrl(IQN, lun));
        return run(cmd, -1);
    }

    private void qemuIo(int lun, String... commands) {
        ProcessResult r = runQemuIo(lun, commands);
        assertEquals(0, r.exit(), r.output());
        assertFalse(r.output().toLowerCase().contains("error"), r.output());
    }

    /** Runs {@code cmd} (output and errors together); {@code expectExit} -1 accepts any exit code. */
    private ProcessResult run(List<String> cmd, int expectExit) {
        try {
            Path log = Files.createTempFile(dir, "proc", ".log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                fail(String.join(" ", cmd) + " did not finish within 120 s");
            }
            ProcessResult r = new ProcessResult(p.exitValue(), Files.readString(log, StandardCharsets.ISO_8859_1));
            if (expectExit >= 0) {
                assertEquals(expectExit, r.exit(), () -> String.join(" ", cmd) + ": " + r.output());
            }
            return r;
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** libnfs straight to the gateway's port (it skips the portmapper when given both ports). */
    private String nfsUrl(String path) {
        String nfs = daemon.runtime().nfs();
        String port = nfs.substring(nfs.lastIndexOf(':') + 1);
        return "nfs://127.0.0.1" + path + "?nfsport=" + port + "&mountport=" + port;
    }

    private HttpResponse<String> get(String path, boolean withToken) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(daemon.api() + path)).GET();
        if (withToken) {
            b.header("Authorization", "Bearer " + token());
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return r;
    }

    /** The bytes of a streamed answer up to where the connection broke, which it must (a cut stream). */
    private byte[] readUntilCut(String path) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(daemon.api() + path)).header("Authorization", "Bearer " + token()).GET().build();
        HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode(), "the stream started before the damage was met");
        long length = r.headers().firstValueAsLong("Content-Length").orElseThrow();
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        try (InputStream in = r.body()) {
            byte[] buf = new byte[65536];
            for (int n; (n = in.read(buf)) > 0; ) {
                got.write(buf, 0, n);
            }
            fail("the export arrived whole (" + got.size() + " of " + length + " bytes): damaged data was sent");
        } catch (IOException cut) {
            assertTrue(got.size() < length);
        }
        return got.toByteArray();
    }

    private static double sample(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{")).mapToDouble(
                l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElseGet(() -> fail(name + " is not in the scrape"));
    }

    private static JsonNode json(HttpResponse<String> r) throws IOException {
        return Daemon.JSON.readTree(r.body());
    }

    private String token() throws IOException {
        return Files.readString(data.resolve("api-token")).trim();
    }

    private static void requireTool(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return;
            }
        }
        fail(tool + " is not installed (.ci/run installs qemu-utils and libnfs-utils)");
    }
}
