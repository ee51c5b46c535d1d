package io.depot.appliance.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The {@code depot} CLI as a process, the way a user or a script runs it on the appliance host. */
final class Cli {
    record Result(int exit, String out, String err) {
        JsonNode json() {
            try {
                return Daemon.JSON.readTree(out);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + out + "\nstderr: " + err, e);
            }
        }
    }

    private final Path dataDir;
    private final Path scratch;

    Cli(Path dataDir, Path scratch) {
        this.dataDir = dataDir;
        this.scratch = scratch;
    }

    /** Runs {@code depot ARGS --data-dir DATA}: the CLI finds the API and token there by itself. */
    Result run(String... args) {
        List<String> withDir = new ArrayList<>(List.of(args));
        withDir.addAll(List.of("--data-dir", dataDir.toString()));
        return raw(withDir);
    }

    /** Runs {@code depot ARGS} as given. */
    Result raw(List<String> args) {
        List<String> cmd = Daemon.java("io.depot.appliance.DepotCommand");
        // a short-lived client: C1 only and the serial collector start it faster on a busy machine
        cmd.addAll(1, List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        cmd.addAll(args);
        try {
            Path out = Files.createTempFile(scratch, "cli", ".out");
            Path err = Files.createTempFile(scratch, "cli", ".err");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().remove("DEPOT_API");
            pb.environment().remove("DEPOT_TOKEN");
            pb.environment().remove("DEPOT_DATA_DIR");
            pb.environment().remove("DEPOT_CACERT");
            Process p = pb.start();
            p.getOutputStream().close();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                fail("depot " + args + " did not finish within 60 s");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run depot " + args, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Runs and insists on exit 0. */
    Result ok(String... args) {
        Result r = run(args);
        assertEquals(0, r.exit(), () -> "depot " + String.join(" ", args) + " failed:\n" + r.out() + r.err());
        return r;
    }

    /** Runs and insists on the given exit code. */
    Result exits(int code, String... args) {
        Result r = run(args);
        assertEquals(code, r.exit(), () -> "depot " + String.join(" ", args) + " exit code; output:\n" + r.out() + r.err());
        return r;
    }
}
