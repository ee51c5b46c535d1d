package io.depot.nfs.bench;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.NfsGatewayProcedures;
import io.depot.nfs.NfsGatewaySettings;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Depot side of {@code bench/nfs-bench.sh}: a fresh pool in a scratch directory served by the
 * NFS gateway with its defaults (export /depot, NFS and MOUNT on 2049, the embedded portmapper on
 * 111 when that port is free), until SIGTERM. The script runs it in a private network namespace,
 * so 111 and 2049 are ours. Prints one {@code ready MODE PORT} line once it accepts calls.
 *
 * <pre>java ... io.depot.nfs.bench.NfsBenchServer --dir DIR [--capacity 16g] [--null-read quick|worker]</pre>
 *
 * <p>{@code --null-read} measures a ceiling, not Depot: READ then costs nothing: every READ is
 * answered with its count of bytes from one prebuilt buffer (a retained slice, no engine, no copy;
 * post-op attributes omitted, eof false), on the event loop ({@code quick}) or after the usual
 * handoff to a worker thread ({@code worker}). What a client achieves against it is the most any
 * server could give it over this transport.
 */
public final class NfsBenchServer {
    private NfsBenchServer() {}

    public static void main(String[] args) throws Exception {
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            System.setProperty("io.netty.leakDetection.level", "disabled"); // as the appliance runs
        }
        Path dir = null;
        long capacity = 16L << 30;
        String nullRead = null;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--dir" -> dir = Path.of(BenchArgs.required(args[i], value));
                case "--capacity" -> capacity = BenchArgs.parseSize(BenchArgs.required(args[i], value));
                case "--null-read" -> nullRead = BenchArgs.required(args[i], value);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (expected --dir DIR [--capacity SIZE] [--null-read quick|worker])");
            }
            i++;
        }
        if (dir == null) {
            throw new IllegalArgumentException("--dir DIR is required");
        }
        Path poolDir = dir.resolve("pool");
        if (Files.exists(poolDir)) {
            throw new IllegalStateException(poolDir + " exists: the bench wants a fresh pool (the script removes it)");
        }
        Files.createDirectories(dir);
        Pool pool = Pool.create(poolDir, PoolOptions.ofCapacity(capacity));
        NfsGateway gateway = NfsGateway.start(pool, NfsGatewaySettings.defaults());
        if (nullRead != null) {
            NfsGatewayProcedures.replaceNfsProcedure(gateway, NullRead.procedure(nullRead));
        }
        // SIGTERM from the script stops serving, then closes the pool (RocksDB wants a clean close).
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            gateway.close();
            pool.close();
        }, "bench-shutdown"));
        System.out.println("ready " + gateway.portmapperMode() + " " + gateway.address().getPort());
        System.out.flush();
        Thread.currentThread().join();
    }
}
