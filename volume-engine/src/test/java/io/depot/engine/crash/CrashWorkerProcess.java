package io.depot.engine.crash;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A {@link CrashWorker} running as a child JVM (same java binary, same class path), whose stdout is
 * drained by a reader thread that opens {@link #awaitProgress} when the worker reports progress.
 */
final class CrashWorkerProcess {
    private final Process process;
    private final Path stderr;
    private final List<String> output = new ArrayList<>();
    private final CountDownLatch progressOrExit = new CountDownLatch(1);
    private volatile boolean progressed;

    private CrashWorkerProcess(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        Thread drain = new Thread(this::drain, "crash-worker-stdout");
        drain.setDaemon(true);
        drain.start();
    }

    /**
     * Starts a worker. {@code nativeDir}, if not null, holds the RocksDB JNI library already extracted
     * (see {@link #extractRocksLibrary}), which spares every worker unpacking it from the jar again.
     */
    static CrashWorkerProcess start(Path poolDir, Path journal, long seed, long firstId, int iteration, int threads, Path stderr,
            Path nativeDir) throws IOException {
        return start(CrashWorker.class, List.of(poolDir.toString(), journal.toString(), Long.toString(seed), Long.toString(firstId),
                Integer.toString(iteration), Integer.toString(threads)), stderr, nativeDir);
    }

    /**
     * Starts {@code main} (a class with a main method that prints {@link CrashWorker#PROGRESS} once
     * it is mid-flight) with {@code args} in a child JVM.
     */
    static CrashWorkerProcess start(Class<?> main, List<String> args, Path stderr, Path nativeDir) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow(() -> new IllegalStateException("cannot tell which java runs this test"));
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx512m", "-XX:+UseSerialGC"));
        if (nativeDir != null) {
            cmd.add("-Djava.library.path=" + nativeDir);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
        return new CrashWorkerProcess(p, stderr);
    }

    /**
     * Copies this platform's RocksDB JNI library out of the rocksdbjni jar into {@code dir}, where
     * RocksDB's loader finds it on {@code java.library.path}; returns null if the jar has none for us
     * (the workers then extract it themselves, only slower).
     */
    static Path extractRocksLibrary(Path dir) throws IOException {
        String file = org.rocksdb.util.Environment.getJniLibraryFileName("rocksdb");
        try (var in = org.rocksdb.RocksDB.class.getClassLoader().getResourceAsStream(file)) {
            if (in == null) {
                return null;
            }
            Files.createDirectories(dir);
            Files.copy(in, dir.resolve(file));
            return dir;
        }
    }

    private void drain() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (output) {
                    output.add(line);
                }
                if (line.startsWith(CrashWorker.PROGRESS)) {
                    progressed = true;
                    progressOrExit.countDown();
                }
            }
        } catch (IOException e) {
            // the pipe closes when the process dies; nothing to do
        } finally {
            progressOrExit.countDown();
        }
    }

    /** Waits for the progress line; false if the worker exited (or timed out) without reporting it. */
    boolean awaitProgress(long timeout, TimeUnit unit) throws InterruptedException {
        return progressOrExit.await(timeout, unit) && progressed;
    }

    boolean isAlive() { return process.isAlive(); }

    /** SIGKILL, then waits until the process is gone. */
    void killNine() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    long pid() { return process.pid(); }

    /** Everything the worker printed (stdout, then stderr), for failure messages. */
    String output() {
        StringBuilder sb = new StringBuilder();
        synchronized (output) {
            output.forEach(l -> sb.append("  | ").append(l).append('\n'));
        }
        try {
            if (Files.exists(stderr)) {
                Files.readAllLines(stderr).forEach(l -> sb.append("  ! ").append(l).append('\n'));
            }
        } catch (IOException e) {
            sb.append("  (stderr unreadable: ").append(e).append(")\n");
        }
        return sb.toString();
    }

    int exitCode() throws InterruptedException {
        process.waitFor(30, TimeUnit.SECONDS);
        return process.isAlive() ? -1 : process.exitValue();
    }
}
