package io.depot.nfs;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import java.nio.file.Path;

/**
 * The NFS gateway over a pool in {@code args[0]} (created on first use), for interop scenarios
 * in a private network namespace: prints "READY mode=... port=...", serves until its standard
 * input closes, then shuts down and prints "CLOSED".
 */
public final class NfsInteropServerMain {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        try (Pool pool = Pool.exists(dir) ? Pool.open(dir) : Pool.create(dir, PoolOptions.ofCapacity(4L << 30));
             NfsGateway gw = NfsGateway.start(pool, NfsGatewaySettings.defaults().withPort(0))) {
            gw.datastore().makeDirectories("/depot/vms"); // a subdirectory clients mount directly (nfs://host/depot/vms/...)
            System.out.println("READY mode=" + gw.portmapperMode() + " port=" + gw.address().getPort());
            System.out.flush();
            while (System.in.read() >= 0) {
                // serve until the test closes our input
            }
        }
        System.out.println("CLOSED");
        System.out.flush();
    }
}
