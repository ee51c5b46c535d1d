package io.depot.appliance;

import io.depot.appliance.api.ApiServer;
import io.depot.appliance.api.ApiToken;
import io.depot.appliance.api.Appliance;
import io.depot.appliance.api.DepotApi;
import io.depot.appliance.api.MetricsEndpoint;
import io.depot.appliance.metrics.DepotMetrics;
import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.PoolUsage;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.NfsGatewaySettings;
import io.depot.target.IscsiService;
import io.depot.target.iscsi.IscsiSettings;
import java.net.InetSocketAddress;
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
 * It owns the pool and the iSCSI target (targets and LUN maps come from the pool's settings) and
 * shuts them down cleanly on SIGTERM/Ctrl-C, with the NFS gateway and the HTTP API (docs/appliance.md).
 * Once everything listens it writes {@link RuntimeFile} so the CLI finds the API by itself.
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

    @Option(names = "--iscsi-portal", defaultValue = "0.0.0.0:3260",
            description = "Address the iSCSI target listens on, host:port (default: ${DEFAULT-VALUE}); 'off' disables it.")
    String iscsiPortal;

    @Option(names = "--nfs-port", defaultValue = "2049",
            description = "TCP port of the NFS gateway (MOUNT and NFS share it; the portmapper is on 111 or a system rpcbind) "
                    + "(default: ${DEFAULT-VALUE}); 'off' disables it.")
    String nfsPort;

    @Option(names = "--api-listen", defaultValue = "127.0.0.1:8421",
            description = "Address of the HTTP API, host:port (default: ${DEFAULT-VALUE}, this host only); 'off' disables it.")
    String apiListen;

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
        IscsiService iscsi = null;
        if (!"off".equalsIgnoreCase(iscsiPortal)) {
            iscsi = new IscsiService(pool);
            try {
                iscsi.start(IscsiSettings.defaults().withPortal(portal(iscsiPortal)));
            } catch (IllegalStateException e) {
                log.error("{}; choose another address with --iscsi-portal host:port, or --iscsi-portal off", e.getMessage());
                pool.close();
                return 2;
            }
            log.info("iSCSI: {} target(s) on {}", iscsi.targets().size(), iscsi.address());
        }
        NfsGateway nfs = null;
        if (!"off".equalsIgnoreCase(nfsPort)) {
            try {
                nfs = NfsGateway.start(pool, NfsGatewaySettings.defaults().withPort(Integer.parseInt(nfsPort)));
                log.info("NFS: exports on {} (portmapper: {})", nfs.address(), nfs.portmapperMode());
            } catch (RuntimeException e) {
                log.error("cannot start the NFS gateway on port {}: {}; choose another with --nfs-port, or --nfs-port off",
                        nfsPort, e.getMessage());
                if (iscsi != null) {
                    iscsi.close();
                }
                pool.close();
                return 2;
            }
        }
        DepotMetrics metrics = new DepotMetrics(pool, iscsi, nfs);
        ApiServer api = null;
        if (!"off".equalsIgnoreCase(apiListen)) {
            try {
                ApiToken token = ApiToken.loadOrCreate(dataDir.toAbsolutePath());
                api = ApiServer.start(address(apiListen, "--api-listen"), DepotApi.router(new Appliance(pool, iscsi, nfs)), token);
                api.serveMetrics(new MetricsEndpoint(metrics::scrape, DepotMetrics.CONTENT_TYPE));
            } catch (IllegalStateException e) {
                log.error("{}; choose another address with --api-listen host:port, or --api-listen off", e.getMessage());
                if (nfs != null) {
                    nfs.close();
                }
                if (iscsi != null) {
                    iscsi.close();
                }
                pool.close();
                return 2;
            }
        }
        new RuntimeFile(api == null ? null : "http://" + hostPort(api.address()),
                iscsi == null ? null : hostPort(iscsi.address()), nfs == null ? null : hostPort(nfs.address()),
                ProcessHandle.current().pid()).write(dataDir.toAbsolutePath());
        log.info("ready{}; stop with Ctrl-C or SIGTERM", api == null ? "" : ": API on http://" + hostPort(api.address())
                + "/api/v1 (token in " + dataDir.resolve(ApiToken.FILE) + ")");
        CountDownLatch stopped = new CountDownLatch(1);
        IscsiService iscsiService = iscsi;
        NfsGateway nfsGateway = nfs;
        ApiServer apiServer = api;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            RuntimeFile.delete(dataDir.toAbsolutePath());
            if (apiServer != null) {
                log.info("shutting down: closing the HTTP API");
                apiServer.close();
            }
            metrics.close();
            if (nfsGateway != null) {
                log.info("shutting down: closing the NFS gateway");
                nfsGateway.close();
            }
            if (iscsiService != null) {
                log.info("shutting down: closing iSCSI sessions");
                iscsiService.close();
            }
            log.info("shutting down: flushing and closing pool {}", poolDir);
            pool.close();
            log.info("pool closed cleanly");
            stopped.countDown();
        }, "depot-shutdown"));
        stopped.await();
        return 0;
    }

    static InetSocketAddress portal(String spec) {
        return address(spec, "--iscsi-portal");
    }

    /** "host:port", "[v6]:port" or ":port". */
    static InetSocketAddress address(String spec, String option) {
        int colon = spec.lastIndexOf(':');
        if (colon < 0) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(new ServeCommand()),
                    option + " must be host:port, got " + spec);
        }
        String host = spec.substring(0, colon).replace("[", "").replace("]", "");
        int port = Integer.parseInt(spec.substring(colon + 1));
        return new InetSocketAddress(host.isEmpty() ? "0.0.0.0" : host, port);
    }

    static String hostPort(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
