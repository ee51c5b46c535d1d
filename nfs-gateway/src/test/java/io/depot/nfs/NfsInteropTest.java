package io.depot.nfs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Independent NFSv3 clients against the gateway, in a private network namespace where port 111
 * is our embedded portmapper (libnfs and QEMU's nfs driver insist on it): libnfs's nfs-cp copies
 * a 20 MiB file in and out byte-identical, nfs-ls lists, nfs-cat reads; qemu-img and qemu-io
 * create a qcow2 and a raw image and write (also unaligned) through nfs:// URLs; after a gateway
 * restart on the same pool everything reads back the same. Needs root (unshare -n -m), Debian's
 * libnfs-utils and qemu-utils + qemu-block-extra; fails, saying what is missing, where they are not.
 */
class NfsInteropTest {
    @TempDir
    Path tmp;

    private static int exec(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    @Test
    void libnfsAndQemuReadAndWriteThroughTheGatewayAndAfterARestart() throws Exception {
        assertTrue(exec("unshare", "-n", "-m", "true") == 0, "cannot create a network namespace here (needs root: unshare -n -m)");
        for (String tool : new String[] {"nfs-ls", "nfs-cp", "nfs-cat", "qemu-img", "qemu-io"}) {
            assertTrue(exec("sh", "-c", "command -v " + tool) == 0,
                    tool + " is not installed; install Debian's libnfs-utils, qemu-utils and qemu-block-extra");
        }
        Path script = tmp.resolve("nfs-netns.sh");
        try (var in = getClass().getResourceAsStream("/interop/nfs-netns.sh")) {
            Files.copy(in, script);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder("unshare", "-n", "-m", "bash", script.toString(), java,
                System.getProperty("java.class.path"), tmp.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        boolean done = p.waitFor(300, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        Path log = tmp.resolve("server.log");
        out += Files.exists(log) ? "\n== server log\n" + Files.readString(log) : "";
        assertTrue(done, "scenario timed out:\n" + out);

        assertTrue(out.contains("READY mode=EMBEDDED"), out);
        assertTrue(out.contains("copied 20971853 bytes"), out);
        assertTrue(out.contains("BIG COPY IDENTICAL\n"), out);
        assertTrue(out.matches("(?s).*-rw\\S*\\s+1\\s+0\\s+0\\s+20971853 big\\.bin.*"), out);
        assertTrue(out.matches("(?s).*== nfs-cat\nhello from depot\n.*"), out);
        assertTrue(out.contains("wrote 3145728/3145728 bytes at offset 1048576"), out);
        assertTrue(out.contains("wrote 70000/70000 bytes at offset 513"), out);
        assertTrue(out.contains("virtual size: 64 MiB (67108864 bytes)"), out);
        // after the restart: same names, same bytes, qcow2 metadata intact
        String after = out.substring(out.indexOf("== restart"));
        assertTrue(after.matches("(?s).*16777216 raw\\.img.*"), out);
        assertTrue(after.matches("(?s).*== nfs-cat after restart\nhello from depot\n.*"), out);
        assertTrue(after.contains("read 3145728/3145728 bytes at offset 1048576"), out);
        assertTrue(after.contains("read 513/513 bytes at offset 0"), out);
        assertTrue(after.contains("read 1000/1000 bytes at offset 70513"), out);
        assertTrue(after.contains("No errors were found on the image."), out);
        assertTrue(after.contains("BIG COPY IDENTICAL AFTER RESTART"), out);
        assertFalse(out.contains("Pattern verification failed"), out);
        assertFalse(out.contains("rc=1\n") || out.contains("rc=10\n"), out);
    }
}
