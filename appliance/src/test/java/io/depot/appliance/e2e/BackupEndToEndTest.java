package io.depot.appliance.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.depot.appliance.cli.ExitCodes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backups and retention schedules as a user meets them: {@code depot serve} as a child process,
 * QEMU's iSCSI driver writing the source volume and reading every snapshot back, the {@code depot}
 * CLI exporting a full and two incremental streams to files (and to stdout), importing them into a
 * new volume in order, refusing damaged, truncated and out-of-order streams, and running a
 * schedule whose pruning holds a snapshot that a LUN serves. The tests run in order on one daemon.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BackupEndToEndTest extends DaemonTest {
    private static final String IQN = "iqn.2025-01.io.depot.test:backup";

    private int nextLun;

    @BeforeAll
    void start(@TempDir Path tmp) throws Exception {
        useFolder(tmp);
        for (String tool : new String[] {"qemu-io", "qemu-img"}) {
            requireTool(tool);
        }
        startDaemon();
    }

    @Test
    @Order(1)
    void aFullAndTwoIncrementalStreamsRestoreEverySnapshotByteForByte() throws Exception {
        cli.ok("volume", "create", "src", "--size", "16M");
        cli.ok("iscsi", "target", "create", IQN);
        int head = map("src");
        qemuIo(head, "write -P 0x11 0 3M", "write -P 0x22 9M 640k");
        cli.ok("snapshot", "create", "src@s1");
        qemuIo(head, "write -P 0x33 1M 64k", "write -z 9M 128k", "write -P 0x44 15M 1M");
        cli.ok("snapshot", "create", "src@s2");
        qemuIo(head, "write -P 0x55 4M 2M", "discard 0 1M");
        cli.ok("snapshot", "create", "src@s3");

        Path full = dir.resolve("src-s1.dbk");
        Path i1 = dir.resolve("src-s2.dbk");
        Path i2 = dir.resolve("src-s3.dbk");
        JsonNode e = cli.ok("snapshot", "export", "src@s1", "-o", full.toString(), "--json").json();
        assertFalse(e.path("incremental").asBoolean());
        assertEquals(Files.size(full), e.path("streamBytes").asLong());
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(full)),
                "a backup file is readable by its owner only");
        Cli.Result withBar = cli.ok("snapshot", "export", "src@s2", "--since", "src@s1", "-o", i1.toString(), "--progress");
        assertTrue(withBar.err().contains("100%"), withBar.err());
        assertTrue(withBar.out().contains("incremental since s1"), withBar.out());
        cli.ok("snapshot", "export", "src@s3", "--since", "s2", "-o", i2.toString());
        assertTrue(Files.size(i1) < Files.size(full), "the incremental carries only the changes");
        assertFalse(Files.exists(dir.resolve("src-s3.dbk.partial")));
        // stdout carries the same stream, byte for byte
        Path piped = dir.resolve("piped.dbk");
        assertEquals(0, depotToFile(piped, "snapshot", "export", "src@s3", "--since", "src@s2"));
        assertEquals(-1, Files.mismatch(i2, piped));

        JsonNode r = cli.ok("snapshot", "import", "-i", full.toString(), "--volume", "restored", "--json").json();
        assertEquals("s1", r.path("snapshot").path("name").asText());
        assertEquals("src@s1", r.path("source").asText());
        // out of order: the second incremental does not apply on s1
        Cli.Result wrong = cli.exits(ExitCodes.CONFLICT, "snapshot", "import", "-i", i2.toString(), "--volume", "restored");
        assertTrue(wrong.err().contains("applies on top of src@s2"), wrong.err());
        assertTrue(cli.ok("snapshot", "import", "-i", i1.toString(), "--volume", "restored").out()
                .contains("imported src@s2 (incremental since s1) into volume restored as snapshot s2"));
        cli.ok("snapshot", "import", "-i", i2.toString(), "--volume", "restored");

        for (String s : new String[] {"s1", "s2", "s3"}) {
            assertSameImage("src@" + s, "restored@" + s);
        }
        assertSameImage("src@s3", "restored");
    }

    @Test
    @Order(2)
    void damagedOrCutStreamsAreRefusedAndLeaveNoVolume() throws Exception {
        byte[] full = Files.readAllBytes(dir.resolve("src-s1.dbk"));
        Path corrupt = dir.resolve("corrupt.dbk");
        byte[] c = full.clone();
        c[c.length / 2] ^= 0x01;
        Files.write(corrupt, c);
        Cli.Result bad = cli.exits(ExitCodes.USAGE, "snapshot", "import", "-i", corrupt.toString(), "--volume", "broken");
        assertTrue(bad.err().contains("fails its checksum"), bad.err());
        Path cut = dir.resolve("cut.dbk");
        Files.write(cut, java.util.Arrays.copyOf(full, full.length - 1000));
        Cli.Result truncated = cli.exits(ExitCodes.USAGE, "snapshot", "import", "-i", cut.toString(), "--volume", "broken");
        assertTrue(truncated.err().contains("truncated"), truncated.err());
        // nothing of either attempt is left, under the final name or the partial one
        JsonNode volumes = cli.ok("volume", "list", "--json").json();
        List<String> names = new ArrayList<>();
        volumes.forEach(v -> names.add(v.path("name").asText()));
        assertEquals(List.of("restored", "src"), names.stream().sorted().toList());
        // a plain file is not a stream; a missing one is a usage error; an unknown snapshot is not found
        Path text = Files.writeString(dir.resolve("notes.txt"), "hello\n");
        assertTrue(cli.exits(ExitCodes.USAGE, "snapshot", "import", "-i", text.toString(), "--volume", "x").err()
                .contains("not a Depot backup stream"));
        cli.exits(ExitCodes.USAGE, "snapshot", "import", "-i", dir.resolve("missing.dbk").toString(), "--volume", "x");
        cli.exits(ExitCodes.NOT_FOUND, "snapshot", "export", "src@nope", "-o", dir.resolve("nope.dbk").toString());
        assertFalse(Files.exists(dir.resolve("nope.dbk.partial")));
        cli.exits(ExitCodes.USAGE, "snapshot", "export", "src@s2", "--since", "restored@s1", "-o", dir.resolve("x.dbk").toString());
    }

    @Test
    @Order(3)
    void aScheduleKeepsItsNewestSnapshotsAndHoldsOneThatALunServes() throws Exception {
        JsonNode s = cli.ok("schedule", "create", "src", "--every", "hourly", "--keep", "2", "--json").json();
        assertEquals("src-hourly", s.path("name").asText());
        cli.exits(ExitCodes.CONFLICT, "schedule", "create", "src", "--every", "hourly", "--keep", "5");
        cli.exits(ExitCodes.USAGE, "schedule", "create", "src", "--every", "sometimes", "--keep", "5");
        List<String> taken = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            JsonNode run = cli.ok("schedule", "run", "src-hourly", "--json").json();
            taken.add(run.path("lastRun").path("taken").get(0).asText());
        }
        // the oldest scheduled snapshot is served read-only on a LUN: the third run keeps it and says why
        map(taken.get(0));
        Cli.Result third = cli.ok("schedule", "run", "src-hourly");
        assertTrue(third.out().contains("kept " + taken.get(0)) && third.out().contains("served at iSCSI LUN"), third.out());
        JsonNode fourth = cli.ok("schedule", "run", "src-hourly", "--json").json();
        assertEquals(3, fourth.path("snapshots").size(), fourth.toString());
        assertEquals(1, fourth.path("lastRun").path("pruned").size(), fourth.toString());
        // the snapshots taken by hand are never pruned
        List<String> names = new ArrayList<>();
        cli.ok("snapshot", "list", "src", "--json").json().forEach(x -> names.add(x.path("name").asText()));
        assertTrue(names.containsAll(List.of("s1", "s2", "s3")), names.toString());
        assertEquals(6, names.size(), names.toString());
        assertTrue(cli.ok("schedule", "list").out().contains("src-hourly"));
        cli.ok("schedule", "delete", "src-hourly");
        cli.exits(ExitCodes.NOT_FOUND, "schedule", "show", "src-hourly");
    }

    // ------------------------------------------------------------------ helpers

    /** Maps VOL or VOL@SNAP at the next LUN; returns the LUN. */
    private int map(String what) {
        int lun = nextLun++;
        cli.ok("iscsi", "lun", "map", IQN, Integer.toString(lun), what);
        return lun;
    }

    /** Both images, read through QEMU's iSCSI driver into raw files, are equal. */
    private void assertSameImage(String expected, String actual) throws Exception {
        Path a = readImage(map(expected));
        Path b = readImage(map(actual));
        assertEquals(Files.size(a), Files.size(b), expected + " vs " + actual);
        assertEquals(-1, Files.mismatch(a, b), expected + " and " + actual + " differ");
    }

    private Path readImage(int lun) throws Exception {
        Path out = dir.resolve("lun" + lun + ".raw");
        run(List.of("qemu-img", "convert", "-f", "raw", "-O", "raw", daemon.iscsiUrl(IQN, lun), out.toString()));
        return out;
    }

    private void qemuIo(int lun, String... commands) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
        for (String c : commands) {
            cmd.add("-c");
            cmd.add(c);
        }
        cmd.add(daemon.iscsiUrl(IQN, lun));
        String output = run(cmd);
        assertFalse(output.toLowerCase().contains("error"), output);
    }

    private String run(List<String> cmd) throws Exception {
        Path log = Files.createTempFile(dir, "tool", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        p.getOutputStream().close();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            fail(String.join(" ", cmd) + " did not finish within 120 s");
        }
        String output = Files.readString(log, StandardCharsets.ISO_8859_1);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + output);
        return output;
    }

    /** Runs the CLI with its stdout going to {@code file} (binary), as {@code depot ... > file} does. */
    private int depotToFile(Path file, String... args) throws Exception {
        List<String> cmd = Daemon.java("io.depot.appliance.DepotCommand");
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--data-dir", data.toString()));
        Path err = Files.createTempFile(dir, "cli", ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(file.toFile()).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            fail("depot " + List.of(args) + " did not finish within 60 s");
        }
        assertEquals(0, p.exitValue(), Files.readString(err));
        return p.exitValue();
    }

    private static void requireTool(String tool) throws IOException {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return;
            }
        }
        fail(tool + " is not installed; install the Debian package qemu-utils (.ci/run does)");
    }
}
