package io.depot.appliance.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.depot.appliance.RuntimeFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code depot serve} as a child process on a data directory, every port chosen by the OS (0). Ready
 * when it has written its runtime file (watched with the file system's change notification);
 * stopped with SIGTERM, as systemd does. Its output goes to a file: a pipe loses what a JVM prints
 * in its last moments (the JDK drains and closes the pipe when it reaps the child).
 */
final class Daemon implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path logFile;
    private final RuntimeFile run;

    private Daemon(Process process, Path logFile, RuntimeFile run) {
        this.process = process;
        this.logFile = logFile;
        this.run = run;
    }

    static List<String> java(String mainClass) {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), mainClass));
    }

    static Daemon start(Path dataDir) throws Exception {
        return start(dataDir, List.of("--capacity", "1G", "--iscsi-portal", "127.0.0.1:0", "--nfs-port", "off", "--api-listen", "127.0.0.1:0"));
    }

    /** {@code depot serve --data-dir DATA OPTIONS} (e.g. {@code --config FILE}). */
    static Daemon start(Path dataDir, List<String> serveOptions) throws Exception {
        Files.createDirectories(dataDir);
        Path logFile = dataDir.resolveSibling(dataDir.getFileName() + "-serve.log");
        List<String> cmd = java("io.depot.appliance.DepotCommand");
        cmd.addAll(List.of("serve", "--data-dir", dataDir.toString()));
        cmd.addAll(serveOptions);
        try (WatchService watch = dataDir.getFileSystem().newWatchService()) {
            dataDir.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
            p.getOutputStream().close();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline) {
                RuntimeFile run = readRuntime(dataDir);
                if (run != null && run.pid() == p.pid()) {
                    return new Daemon(p, logFile, run);
                }
                if (!p.isAlive()) {
                    fail("depot serve exited with " + p.exitValue() + " before it was ready; its output:\n" + Files.readString(logFile));
                }
                var key = watch.poll(1, TimeUnit.SECONDS);   // wakes on the file's creation; the timeout only rechecks isAlive
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
            }
            p.destroyForcibly().waitFor();
            return fail("depot serve did not get ready within 120 s; its output:\n" + Files.readString(logFile));
        }
    }

    /** Null while absent or half-written (the daemon moves it into place atomically, but be lenient). */
    private static RuntimeFile readRuntime(Path dataDir) {
        try {
            return RuntimeFile.read(dataDir);
        } catch (IOException e) {
            return null;
        }
    }

    RuntimeFile runtime() { return run; }

    String api() { return run.api(); }

    /** iscsi://host:port/iqn/lun, the URL qemu-io opens. */
    String iscsiUrl(String iqn, int lun) { return "iscsi://" + run.iscsi() + "/" + iqn + "/" + lun; }

    /** Everything the daemon printed so far (every start on this data directory). */
    String log() {
        try {
            return Files.readString(logFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SIGTERM and wait: the daemon closes the API, the target and the pool. Returns the exit code. */
    int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            fail("depot serve did not stop within 60 s of SIGTERM");
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            stop();
        }
    }
}
