package io.depot.iscsi.interop;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs an independent client (libiscsi tools, qemu-img, qemu-io) as a process. A missing tool
 * fails the test with the package to install: interop is never silently skipped.
 */
final class ExternalTool {
    record Result(int exitCode, String output) {}

    private ExternalTool() {}

    /** Fails unless {@code tool} is on the PATH. */
    static void require(String tool, String debianPackage) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return;
            }
        }
        fail(tool + " is not installed; install the Debian package " + debianPackage + " (.ci/run does)");
    }

    /** Runs the command, merging stderr into the output; kills it at the timeout and fails. */
    static Result run(Duration timeout, String... command) {
        List<String> cmd = new ArrayList<>(List.of(command));
        try {
            Path log = Files.createTempFile("depot-tool", ".log");
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
                p.getOutputStream().close();
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly().waitFor();
                    fail(String.join(" ", cmd) + " did not finish within " + timeout + "; output:\n" + Files.readString(log));
                }
                // ISO-8859-1: tools print raw designator bytes that are not valid UTF-8
                return new Result(p.exitValue(), new String(Files.readAllBytes(log), StandardCharsets.ISO_8859_1));
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + cmd, e);
        }
    }

    /** Runs and fails the test on a non-zero exit, showing the output. */
    static String check(Duration timeout, String... command) {
        Result r = run(timeout, command);
        if (r.exitCode() != 0) {
            fail(String.join(" ", command) + " exited with " + r.exitCode() + ":\n" + r.output());
        }
        return r.output();
    }
}
