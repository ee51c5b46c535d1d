package io.depot.appliance.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scrub through the real daemon and real clients: a block of a LUN's volume (written by QEMU's
 * iSCSI driver) and a block of an NFS file (written by libnfs's {@code nfs-cp}) are damaged in the
 * pool's data file (found by their bytes, no engine hook) while the daemon runs; {@code depot scrub
 * start} and {@code status} until done must name both: the volume with its LUN, the file by its path.
 * Then the metrics, the schedule, and both surviving a restart.
 */
class ScrubEndToEndTest extends DaemonTest {
    private static final String IQN = "iqn.2025-01.io.depot.test:scrub";
    private static final int BLOCK = 4096;
    private static final long LUN_BLOCK = 5 * 65536 + 3 * BLOCK;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aScrubFindsDamageInALunAndAnNfsFileAndNamesBoth(@TempDir Path tmp) throws Exception {
        useFolder(tmp);
        for (String tool : List.of("qemu-io", "nfs-cp")) {
            requireTool(tool);
        }
        startDaemonWithIscsiAndNfs();

        createVolumeAtLunZero("vm", "16M", IQN);
        run(List.of("qemu-io", "-f", "raw", "-c", "write -P 0x6b " + LUN_BLOCK + " " + BLOCK, "-c", "write -P 0x12 0 65536",
                "-c", "flush", daemon.iscsiUrl(IQN, 0)));
        byte[] lunBlock = new byte[BLOCK];
        Arrays.fill(lunBlock, (byte) 0x6b);

        byte[] file = new byte[6 * BLOCK];
        new Random(0x5c2b).nextBytes(file);
        run(List.of("nfs-cp", Files.write(dir.resolve("disk.img"), file).toString(), nfsUrl("/depot/disk.img")));
        byte[] fileBlock = Arrays.copyOfRange(file, 4 * BLOCK, 5 * BLOCK);

        assertEquals(0, cli.ok("scrub", "start", "--bandwidth", "0", "--wait", "--json").json().path("damagedBlocks").asInt(),
                "a clean pool scrubs clean");
        flipAByteOf(lunBlock);
        flipAByteOf(fileBlock);

        JsonNode started = cli.ok("scrub", "start", "--json").json();
        assertTrue(List.of("running", "done").contains(started.path("state").asText()), started.toString());
        JsonNode report = awaitScrubEnd();
        assertEquals("done", report.path("state").asText(), report.toString());
        assertEquals(2, report.path("damagedBlocks").asInt(), report.toString());
        assertTrue(report.path("bytesChecked").asLong() >= 2 * 65536);

        JsonNode lun = readerOf(report, "vm");
        assertEquals(LUN_BLOCK, lun.path("offset").asLong());
        assertEquals(List.of(IQN + "/0"), strings(lun.path("luns")));
        JsonNode nfs = report.path("damaged").findParents("nfsPath").stream()
                .filter(r -> r.hasNonNull("nfsPath")).findFirst().orElseGet(() -> fail("no NFS file named: " + report));
        assertTrue(nfs.path("nfsPath").asText().endsWith("depot/disk.img"), nfs.toString());
        assertEquals(4 * BLOCK, nfs.path("offset").asLong());
        assertEquals("NFS_FILE", nfs.path("kind").asText());

        String human = cli.ok("scrub", "status").out();
        assertTrue(human.contains("damaged:") && human.contains("2 blocks"), human);
        assertTrue(human.contains("volume vm offset " + LUN_BLOCK + ", LUN " + IQN + "/0"), human);
        assertTrue(human.contains("NFS file " + nfs.path("nfsPath").asText()), human);

        String metrics = get("/metrics", false);
        assertEquals(2.0, sample(metrics, "depot_scrub_damaged_blocks"), metrics);
        assertEquals(0.0, sample(metrics, "depot_scrub_running"));
        assertTrue(sample(metrics, "depot_scrub_bytes_checked") >= 2 * 65536);
        assertTrue(sample(metrics, "depot_scrub_last_duration_seconds") >= 0);

        JsonNode schedule = cli.ok("scrub", "schedule", "set", "--every", "weekly", "--bandwidth", "50M", "--json").json();
        assertEquals("weekly", schedule.path("every").asText());
        assertEquals(50L << 20, schedule.path("bandwidth").asLong());
        assertTrue(schedule.path("nextRun").asText().compareTo(java.time.Instant.now().toString()) > 0, schedule.toString());
        assertEquals(java.time.DayOfWeek.MONDAY, java.time.Instant.parse(schedule.path("nextRun").asText())
                .atZone(java.time.ZoneOffset.UTC).getDayOfWeek());
        assertEquals(3, cli.run("scrub", "cancel").exit(), "nothing to cancel: a conflict (exit 3)");

        // a restart keeps the report and the schedule
        daemon.close();
        startDaemonWithIscsiAndNfs();
        JsonNode after = cli.ok("scrub", "status", "--json").json();
        assertEquals("done", after.path("state").asText());
        assertEquals(2, after.path("damagedBlocks").asInt());
        assertEquals(List.of(IQN + "/0"), strings(readerOf(after, "vm").path("luns")));
        String shown = cli.ok("scrub", "schedule", "show").out();
        assertTrue(shown.contains("weekly") && shown.contains("last scrub:") && shown.contains("done"), shown);
        cli.ok("scrub", "schedule", "delete");
        assertEquals(2, cli.run("scrub", "schedule", "show").exit(), "no schedule: not found");
    }

    private JsonNode awaitScrubEnd() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            JsonNode s = cli.ok("scrub", "status", "--json").json();
            if (!s.path("state").asText().equals("running")) {
                return s;
            }
            if (System.nanoTime() > deadline) {
                return fail("the scrub did not end within 120 s: " + s);
            }
            Thread.sleep(200);   // polling the daemon for a condition
        }
    }

    private static JsonNode readerOf(JsonNode report, String volume) {
        for (JsonNode d : report.path("damaged")) {
            for (JsonNode r : d.path("readers")) {
                if (r.path("volume").asText().equals(volume)) {
                    return r;
                }
            }
        }
        return fail("no damage read by " + volume + ": " + report);
    }

    private static List<String> strings(JsonNode a) {
        List<String> out = new ArrayList<>();
        a.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** Finds {@code block} in the pool's data file (polling until the daemon has written it) and flips one byte of it. */
    private void run(List<String> cmd) throws Exception {
        Path log = Files.createTempFile(dir, "proc", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        p.getOutputStream().close();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            fail(String.join(" ", cmd) + " did not finish within 120 s");
        }
        String out = Files.readString(log, StandardCharsets.ISO_8859_1);
        assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + ": " + out);
        assertTrue(!out.toLowerCase().contains("error"), out);
    }

    /** libnfs straight to the gateway's port (it skips the portmapper when given both ports). */
    private String nfsUrl(String path) {
        String nfs = daemon.runtime().nfs();
        String port = nfs.substring(nfs.lastIndexOf(':') + 1);
        return "nfs://127.0.0.1" + path + "?nfsport=" + port + "&mountport=" + port;
    }

    private String get(String path, boolean withToken) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(daemon.api() + path)).GET();
        if (withToken) {
            b.header("Authorization", "Bearer " + Files.readString(data.resolve("api-token")).trim());
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return r.body();
    }

    private static double sample(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{")).mapToDouble(
                l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElseGet(() -> fail(name + " is not in the scrape"));
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
