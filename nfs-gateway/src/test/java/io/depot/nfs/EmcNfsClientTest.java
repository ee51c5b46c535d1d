package io.depot.nfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EMC's Java NFSv3 client (com.emc.ecs:nfs-client, an independent implementation) mounts the
 * gateway's export and runs {@link EmcClientScenarioMain}: create, writes of 1 B to 1 MiB at
 * unaligned offsets and a 2.5 MiB stream, read back identical, getattr, UNSTABLE + COMMIT
 * verifiers, SETATTR truncate and extend, mkdir/readdir/readdirplus/rmdir, rename replacing,
 * remove, symlink/readlink, MKNOD. The client always asks the portmapper on port 111, so the
 * scenario runs in a child JVM in a private network namespace where the gateway's embedded
 * portmapper owns 111. Needs root (unshare -n -m) and iproute2; fails, saying so, where missing.
 */
class EmcNfsClientTest {
    @TempDir
    Path tmp;

    private static int exec(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    @Test
    void emcJavaClientMountsWritesReadsAndChangesTheNamespace() throws Exception {
        assertEquals(0, exec("unshare", "-n", "-m", "true"), "cannot create a network namespace here (needs root: unshare -n -m)");
        assertEquals(0, exec("sh", "-c", "command -v ip"), "ip is not installed; install Debian's iproute2");
        Path script = tmp.resolve("emc-netns.sh");
        try (var in = getClass().getResourceAsStream("/interop/emc-netns.sh")) {
            Files.copy(in, script);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder("unshare", "-n", "-m", "bash", script.toString(), java,
                System.getProperty("java.class.path"), tmp.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        boolean done = p.waitFor(240, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        Path log = tmp.resolve("server.log");
        out += Files.exists(log) ? "\n== server log\n" + Files.readString(log) : "";
        assertTrue(done, "scenario timed out:\n" + out);

        assertTrue(out.contains("READY mode=EMBEDDED"), out);
        for (String step : new String[] {
                "mount", "fsinfo", "root getattr", "create guarded", "writes of 1 B to 1 MiB at unaligned offsets",
                "output stream of 2.5 MiB", "read back identical through the input stream", "reads at unaligned offsets with EOF",
                "unstable writes and commit", "setattr truncate", "setattr extend", "mkdir and readdir of 151 entries",
                "readdirplus with attributes and handles", "rmdir", "rename replacing", "remove", "symlink and readlink",
                "mknod fifo/socket, devices BADTYPE"}) {
            assertTrue(out.contains("ok " + step + "\n"), "step '" + step + "' did not pass:\n" + out);
        }
        assertTrue(out.contains("EMC SCENARIO PASSED"), out);
        assertEquals(0, p.exitValue(), out);
    }
}
