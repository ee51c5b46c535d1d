package io.depot.appliance.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;

/**
 * A test class that drives one {@code depot serve} child process: the class's temporary folder,
 * the daemon's data folder in it, the daemon and the {@code depot} CLI that talks to it. The tests
 * share the daemon (they may restart it); it is stopped after the last one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class DaemonTest {
    /** The class's temporary folder. */
    Path dir;
    /** The daemon's {@code --data-dir}: {@code dir/data}. */
    Path data;
    Daemon daemon;
    Cli cli;

    /** Takes {@code tmp} as the class's folder; the daemon keeps its data in {@code tmp/data}. */
    void useFolder(Path tmp) {
        dir = tmp;
        data = tmp.resolve("data");
    }

    /** Starts the daemon with the test defaults (loopback ports, NFS off), and the CLI. */
    void startDaemon() throws Exception {
        daemon = Daemon.start(data);
        startCli();
    }

    /** Starts the daemon with these {@code serve} options, and the CLI. */
    void startDaemon(List<String> serveOptions) throws Exception {
        daemon = Daemon.start(data, serveOptions);
        startCli();
    }

    private void startCli() throws Exception {
        cli = new Cli(data, Files.createDirectories(dir.resolve("scratch")));
    }

    /** With the CLI: creates VOLUME of SIZE and target IQN, and serves the volume at LUN 0 of the target. */
    void createVolumeAtLunZero(String volume, String size, String iqn) {
        cli.ok("volume", "create", volume, "--size", size);
        cli.ok("iscsi", "target", "create", iqn);
        cli.ok("iscsi", "lun", "map", iqn, "0", volume);
    }

    @AfterAll
    void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }
}
