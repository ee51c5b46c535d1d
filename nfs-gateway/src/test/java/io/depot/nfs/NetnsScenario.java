package io.depot.nfs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A scenario script of {@code src/test/resources/interop/} run against the gateway by clients
 * that insist on port 111, in a private network namespace ({@code unshare -n -m}) where that port
 * is free for our portmapper. The script gets the java executable, this classpath, its own
 * arguments and the scratch directory; it sources {@code netns-lib.sh} from beside itself.
 */
final class NetnsScenario {
    private NetnsScenario() {}

    /** Fails, saying what is missing, unless a network namespace can be made here and every one of {@code tools} is installed. */
    static void requireNamespaceAnd(String install, String... tools) throws IOException, InterruptedException {
        assertTrue(exec("unshare", "-n", "-m", "true") == 0, "cannot create a network namespace here (needs root: unshare -n -m)");
        for (String tool : tools) {
            assertTrue(exec("sh", "-c", "command -v " + tool) == 0, tool + " is not installed; install " + install);
        }
    }

    private static int exec(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    /**
     * Runs {@code /interop/SCRIPT} with {@code args} in {@code tmp}, at most {@code seconds}:
     * what it printed, then the server's log ({@code tmp/server.log}) if there is one. A script
     * that does not finish in time fails the test with what it printed so far.
     */
    static Result run(Path tmp, String script, int seconds, String... args) throws Exception {
        copy("/interop/netns-lib.sh", tmp.resolve("netns-lib.sh"));
        Path file = tmp.resolve(script);
        copy("/interop/" + script, file);
        List<String> cmd = new ArrayList<>(List.of("unshare", "-n", "-m", "bash", file.toString(),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), System.getProperty("java.class.path")));
        cmd.addAll(List.of(args));
        cmd.add(tmp.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> copyAll(p.getInputStream(), printed));
        boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        reader.join(TimeUnit.SECONDS.toMillis(done ? seconds : 10));
        String out;
        synchronized (printed) {
            out = printed.toString();
        }
        Path log = tmp.resolve("server.log");
        out += Files.exists(log) ? "\n== server log\n" + Files.readString(log) : "";
        assertTrue(done, "scenario timed out:\n" + out);
        return new Result(out, p.exitValue());
    }

    /** Asserts that {@code text} (all or part of {@code out}) holds each of {@code expected}; a failure shows {@code out}. */
    static void assertPrinted(String out, String text, String... expected) {
        for (String e : expected) {
            assertTrue(text.contains(e), out);
        }
    }

    /** Asserts that {@code text} (all or part of {@code out}) has a match of each regex (dot matching newlines); a failure shows {@code out}. */
    static void assertPrintedMatching(String out, String text, String... regexes) {
        for (String r : regexes) {
            assertTrue(text.matches("(?s).*" + r + ".*"), out);
        }
    }

    /** What a scenario printed (with the server's log after it) and its exit status. */
    record Result(String out, int exitValue) {}

    private static void copy(String resource, Path to) throws IOException {
        try (var in = NetnsScenario.class.getResourceAsStream(resource)) {
            Files.copy(in, to);
        }
    }

    private static void copyAll(InputStream in, ByteArrayOutputStream to) {
        byte[] b = new byte[8192];
        try (in) {
            for (int n; (n = in.read(b)) > 0; ) {
                synchronized (to) {
                    to.write(b, 0, n);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
