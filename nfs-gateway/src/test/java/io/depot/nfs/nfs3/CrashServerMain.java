package io.depot.nfs.nfs3;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.NfsGatewaySettings;
import io.depot.nfs.portmap.PortAdvertiser;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A gateway in a child JVM that a test kills (SIGKILL): nothing is closed, as in a crash.
 * Prints {@code ready PORT}; answers each {@code stats} line on standard input with
 * {@code stats CHANGES SYNCS} (namespace changes and the syncs that made them durable).
 *
 * <pre>java ... CrashServerMain POOL_DIR</pre>
 */
public final class CrashServerMain {
    private CrashServerMain() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Pool pool = Files.exists(dir) ? Pool.open(dir) : Pool.create(dir, PoolOptions.ofCapacity(1L << 30));
        InetAddress lo = InetAddress.getLoopbackAddress();
        NfsGateway gw = NfsGateway.start(pool, new NfsGatewaySettings(lo, 0,
                new PortAdvertiser.Config(lo, 0, dir.resolveSibling("no-rpcbind.sock")), List.of(NfsExport.of("/depot"))));
        System.out.println("ready " + gw.address().getPort());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null; ) {
            if (line.equals("stats")) {
                System.out.println("stats " + gw.datastore().namespaceChanges() + " " + gw.datastore().namespaceSyncs());
                System.out.flush();
            }
        }
        Thread.currentThread().join(); // never closes: the test kills this process
    }
}
