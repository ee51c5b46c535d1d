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

    /** Starts the daemon on a 1 GiB pool of 64 KiB clusters with iSCSI, NFS (export /depot) and the API on loopback. */
    void startDaemonWithIscsiAndNfs() throws Exception {
        Path config = dir.resolve("depot.yaml");
        Files.writeString(config, """
                pool:
                  capacity: 1G
                  cluster-size: 64K
                listen:
                  iscsi: 127.0.0.1:0
                  nfs: 127.0.0.1:0
                  portmapper: 127.0.0.1:0
                  api: 127.0.0.1:0
                nfs:
                  exports:
                    - path: /depot
                """);
        startDaemon(List.of("--config", config.toString()));
    }

    /**
     * Damages the 4 KiB {@code block} where it lies in the pool's data file (found by its bytes: it
     * must be there once, 4 KiB aligned) by flipping one of its bytes, as a disk would. Polls until
     * the daemon has written the block.
     */
    void flipAByteOf(byte[] block) throws Exception {
        Path dataFile;
        try (java.util.stream.Stream<Path> all = Files.walk(data)) {
            dataFile = all.filter(p -> p.getFileName().toString().equals("data") && Files.isRegularFile(p)
                    && Files.isDirectory(p.resolveSibling("meta"))).findFirst().orElseThrow();
        }
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(dataFile,
                    java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
                long at = find(ch, block);
                if (at >= 0) {
                    ch.write(java.nio.ByteBuffer.wrap(new byte[] {(byte) ~block[777]}), at + 777);
                    ch.force(false);
                    return;
                }
            }
            Thread.sleep(100);   // poll: the daemon writes the block back in its own time
        }
        org.junit.jupiter.api.Assertions.fail("the block never appeared in " + dataFile);
    }

    private static long find(java.nio.channels.FileChannel ch, byte[] block) throws java.io.IOException {
        int size = block.length;
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(1 << 20);
        long found = -1;
        for (long pos = 0; pos < ch.size(); pos += buf.capacity()) {
            buf.clear();
            int n = ch.read(buf, pos);
            for (int i = 0; i + size <= n; i += size) {
                if (java.util.Arrays.equals(buf.array(), i, i + size, block, 0, size)) {
                    if (found >= 0) {
                        org.junit.jupiter.api.Assertions.fail("the pattern is in the data file twice: the test cannot tell which block to damage");
                    }
                    found = pos + i;
                }
            }
        }
        return found;
    }

    @AfterAll
    void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }
}
