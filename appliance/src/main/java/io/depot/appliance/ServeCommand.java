package io.depot.appliance;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.PoolUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs the daemon on an embedded default: a pool under {@code ./data} created on first start.
 * Today it owns the pool and shuts it down cleanly on SIGTERM/Ctrl-C; the iSCSI target, the NFS
 * gateway and the HTTP API are wired in here as they land.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the Depot daemon.")
final class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = "--data-dir", defaultValue = "data", description = "Where the default pool lives (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--capacity", description = "Capacity of a newly created pool, e.g. 100G (default: the free space of the file system).")
    String capacity;

    @Option(names = "--cluster-size", defaultValue = "65536", description = "Cluster size of a newly created pool in bytes (default: ${DEFAULT-VALUE}).")
    int clusterSize;

    @Override
    public Integer call() throws Exception {
        Path poolDir = dataDir.resolve("pool").toAbsolutePath();
        Pool pool;
        if (Pool.exists(poolDir)) {
            pool = Pool.open(poolDir);
        } else {
            Files.createDirectories(poolDir);
            long bytes = capacity != null ? Sizes.parse(capacity) : Files.getFileStore(poolDir).getUsableSpace();
            bytes -= bytes % clusterSize;
            pool = Pool.create(poolDir, new PoolOptions(clusterSize, bytes, null));
            log.info("created pool {} in {} with capacity {} and {} KiB clusters", pool.uuid(), poolDir, Sizes.format(bytes), clusterSize >> 10);
        }
        PoolUsage u = pool.usage();
        log.info("Depot is serving pool {} from {}: {} volumes, {} used of {}", pool.uuid(), poolDir, u.volumes(),
                Sizes.format(u.usedBytes()), Sizes.format(u.capacityBytes()));
        log.info("protocol servers (iSCSI, NFS) and the HTTP API are not built yet; stop with Ctrl-C or SIGTERM");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("shutting down: flushing and closing pool {}", poolDir);
            pool.close();
            log.info("pool closed cleanly");
            stopped.countDown();
        }, "depot-shutdown"));
        stopped.await();
        return 0;
    }
}
