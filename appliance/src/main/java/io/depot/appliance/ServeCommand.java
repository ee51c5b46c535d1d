package io.depot.appliance;

import io.depot.appliance.api.ApiServer;
import io.depot.appliance.api.ApiToken;
import io.depot.appliance.daemon.Appliance;
import io.depot.appliance.api.DepotApi;
import io.depot.appliance.api.TlsIdentity;
import io.depot.appliance.backup.BackupImport;
import io.depot.appliance.schedule.ScheduleRunner;
import io.depot.appliance.schedule.Scheduler;
import io.depot.appliance.config.ConfigException;
import io.depot.appliance.config.ConfigLoader;
import io.depot.appliance.config.DepotConfig;
import io.depot.appliance.config.DepotConfig.ByteSize;
import io.depot.appliance.config.DepotConfig.ListenConfig;
import io.depot.appliance.config.DepotConfig.PoolConfig;
import io.depot.appliance.config.DepotConfig.TlsConfig;
import io.depot.appliance.config.Endpoint;
import io.depot.appliance.config.Seeder;
import io.depot.appliance.api.MetricsEndpoint;
import io.depot.appliance.metrics.DepotMetrics;
import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.PoolUsage;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.NfsGatewaySettings;
import io.depot.nfs.portmap.PortAdvertiser;
import io.depot.iscsi.IscsiService;
import io.depot.iscsi.fabric.IscsiSettings;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs the daemon from a configuration: the embedded default, a YAML file ({@code --config}), and
 * command-line flags, in rising precedence. It opens or creates the pool, makes the volumes and
 * targets the file seeds, starts the iSCSI target, the NFS gateway and the HTTP API, and shuts them
 * down cleanly on SIGTERM/Ctrl-C (docs/appliance.md). Once everything listens it writes
 * {@link RuntimeFile} so the CLI finds the API by itself.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the Depot daemon.",
        footer = {"", "Precedence: flags > --config file > defaults. Exit: 1 bad configuration, 2 a port is taken."})
final class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);
    static final int EXIT_CONFIG = 1;
    static final int EXIT_PORT_TAKEN = 2;

    @Option(names = {"-c", "--config"}, description = "YAML configuration file (deploy/depot.yaml is a commented sample).")
    Path config;

    @Option(names = "--data-dir", description = "Where the pool, the API token and the runtime file live (default: data).")
    Path dataDir;

    @Option(names = "--capacity", description = "Capacity of a newly created pool, e.g. 100G (default: the free space of the file system).")
    String capacity;

    @Option(names = "--cluster-size", description = "Cluster size of a newly created pool, e.g. 65536 or 64K (default: 64K).")
    String clusterSize;

    @Option(names = "--data-path", description = "File or raw block device for a newly created pool's data (default: inside <data-dir>/pool).")
    Path dataPath;

    @Option(names = "--iscsi-portal", description = "Address of the iSCSI target, host:port (default: 0.0.0.0:3260); 'off' disables it.")
    String iscsiPortal;

    @Option(names = "--nfs-port", description = "TCP port (or host:port) of the NFS gateway; MOUNT shares it, the portmapper is "
            + "on 111 or a system rpcbind (default: 2049); 'off' disables it.")
    String nfsPort;

    @Option(names = "--api-listen", description = "Address of the HTTP API, host:port (default: 127.0.0.1:8421, this host only); 'off' disables it.")
    String apiListen;

    @Option(names = "--tls-cert", description = "PEM certificate (chain) of the API: it then speaks HTTPS. Goes with --tls-key.")
    Path tlsCert;

    @Option(names = "--tls-key", description = "PEM (PKCS#8) private key of --tls-cert.")
    Path tlsKey;

    @Override
    public Integer call() throws Exception {
        DepotConfig cfg;
        TlsIdentity tls;
        try {
            cfg = effectiveConfig();
            tls = cfg.tls() == null ? null : TlsIdentity.load(cfg.tls());
        } catch (ConfigException | IllegalArgumentException e) {
            log.error("{}", e.getMessage());
            return EXIT_CONFIG;
        }
        Path data = cfg.dataDir().toAbsolutePath();
        Pool pool = openOrCreatePool(data.resolve("pool"), cfg.pool());
        BackupImport.recover(pool); // undo imports a crash interrupted, before anything serves their volumes
        try {
            Seeder.volumes(pool, cfg.volumes());
        } catch (ConfigException e) {
            log.error("{}", e.getMessage());
            pool.close();
            return EXIT_CONFIG;
        }
        Services s = new Services(pool);
        try {
            return run(cfg, tls, data, s);
        } catch (ConfigException e) {
            log.error("{}", e.getMessage());
            s.close();
            return EXIT_CONFIG;
        } catch (PortTaken e) {
            log.error("{}", e.getMessage());
            s.close();
            return EXIT_PORT_TAKEN;
        }
    }

    private int run(DepotConfig cfg, TlsIdentity tls, Path data, Services s) throws Exception {
        ListenConfig listen = cfg.listen();
        if (!listen.iscsi().off()) {
            s.iscsi = new IscsiService(s.pool);
            Seeder.targets(s.pool, s.iscsi, cfg.iscsi().targets());
            try {
                s.iscsi.start(IscsiSettings.defaults().withPortal(listen.iscsi().address("0.0.0.0")));
            } catch (IllegalStateException e) {
                throw new PortTaken(e.getMessage() + "; choose another address with --iscsi-portal host:port or listen.iscsi "
                        + "in the config file, or turn it off");
            }
            log.info("iSCSI: {} target(s) on {}", s.iscsi.targets().size(), s.iscsi.address());
        } else if (!cfg.iscsi().targets().isEmpty()) {
            log.warn("config: iSCSI is off; the {} target(s) under iscsi.targets are not made", cfg.iscsi().targets().size());
        }
        if (!listen.nfs().off()) {
            NfsGatewaySettings settings = NfsGatewaySettings.defaults().withPort(listen.nfs().port());
            if (listen.nfs().host() != null) {
                settings = new NfsGatewaySettings(InetAddress.getByName(listen.nfs().host()), settings.port(), settings.portmapper(),
                        settings.exports());
            }
            if (cfg.nfs().exports() != null) {
                settings = settings.withExports(cfg.nfs().exports().stream().map(DepotConfig.ExportSeed::toExport).toList());
            }
            Endpoint pm = listen.portmapper();
            if (!pm.off()) {
                PortAdvertiser.Config d = PortAdvertiser.Config.defaults();
                settings = settings.withPortmapper(new PortAdvertiser.Config(
                        pm.host() == null ? null : InetAddress.getByName(pm.host()), pm.port(), d.rpcbindSocket()));
            }
            try {
                s.nfs = NfsGateway.start(s.pool, settings);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("config: nfs.exports: " + e.getMessage(), e);
            } catch (java.io.UncheckedIOException e) {
                throw new PortTaken("cannot start the NFS gateway on " + listen.nfs() + ": " + e.getMessage()
                        + "; choose another port with --nfs-port or listen.nfs in the config file, or turn it off");
            }
            log.info("NFS: exports {} on {} (portmapper: {})", s.nfs.exports().stream().map(e -> e.path()).toList(),
                    s.nfs.address(), s.nfs.portmapperMode());
        }
        Appliance appliance = new Appliance(s.pool, s.iscsi, s.nfs);
        s.metrics = new DepotMetrics(s.pool, s.iscsi, s.nfs);
        if (!listen.api().off()) {
            ApiToken token = ApiToken.loadOrCreate(data);
            try {
                s.api = ApiServer.start(listen.api().address("0.0.0.0"), DepotApi.router(appliance), token, tls);
                s.api.serveMetrics(new MetricsEndpoint(s.metrics::scrape, DepotMetrics.CONTENT_TYPE));
            } catch (IllegalStateException e) {
                throw new PortTaken(e.getMessage() + "; choose another address with --api-listen host:port or listen.api in the "
                        + "config file, or turn it off");
            }
        }
        s.schedules = ScheduleRunner.start(new Scheduler(appliance), Clock.systemUTC(), new io.depot.appliance.scrub.ScrubScheduler(appliance.pool()));
        String apiUrl = s.api == null ? null : (s.api.https() ? "https://" : "http://") + localHostPort(s.api.address());
        new RuntimeFile(apiUrl, s.iscsi == null ? null : hostPort(s.iscsi.address()), s.nfs == null ? null : hostPort(s.nfs.address()),
                ProcessHandle.current().pid(), s.api != null && tls != null ? tls.certificatePem() : null).write(data);
        log.info("ready{}; stop with Ctrl-C or SIGTERM", apiUrl == null ? "" : ": API on " + apiUrl + "/api/v1 (token in "
                + data.resolve(ApiToken.FILE) + ")");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            RuntimeFile.delete(data);
            s.close();
            stopped.countDown();
        }, "depot-shutdown"));
        stopped.await();
        return 0;
    }

    /** Defaults, then the file, then the flags given on the command line. */
    DepotConfig effectiveConfig() {
        DepotConfig c = config == null ? DepotConfig.defaults() : ConfigLoader.load(config);
        if (dataDir != null) {
            c = c.withDataDir(dataDir);
        }
        PoolConfig p = c.pool();
        if (capacity != null || clusterSize != null || dataPath != null) {
            c = c.withPool(new PoolConfig(capacity != null ? flagSize("--capacity", capacity) : p.capacity(),
                    clusterSize != null ? flagSize("--cluster-size", clusterSize) : p.clusterSize(),
                    dataPath != null ? dataPath : p.dataPath()));
        }
        ListenConfig l = c.listen();
        c = c.withListen(new ListenConfig(flagEndpoint("--iscsi-portal", iscsiPortal, l.iscsi()),
                flagEndpoint("--nfs-port", nfsPort, l.nfs()), l.portmapper(), flagEndpoint("--api-listen", apiListen, l.api())));
        if (tlsCert != null || tlsKey != null) {
            c = c.withTls(new TlsConfig(tlsCert, tlsKey, null, null, null));
        }
        return c;
    }

    private static ByteSize flagSize(String flag, String text) {
        try {
            return ByteSize.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(flag + ": " + e.getMessage());
        }
    }

    private static Endpoint flagEndpoint(String flag, String text, Endpoint fromFile) {
        if (text == null) {
            return fromFile;
        }
        try {
            return Endpoint.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(flag + ": " + e.getMessage());
        }
    }

    private static Pool openOrCreatePool(Path poolDir, PoolConfig pc) throws Exception {
        Pool pool;
        if (Pool.exists(poolDir)) {
            pool = Pool.open(poolDir);
        } else {
            Files.createDirectories(poolDir);
            int cluster = pc.clusterSizeOrDefault();
            long bytes = pc.capacity() != null ? pc.capacity().bytes()
                    : pc.dataPath() != null && Files.exists(pc.dataPath()) ? Files.getFileStore(pc.dataPath()).getUsableSpace()
                    : Files.getFileStore(poolDir).getUsableSpace();
            bytes -= bytes % cluster;
            pool = Pool.create(poolDir, new PoolOptions(cluster, bytes, pc.dataPath()));
            log.info("created pool {} in {} with capacity {} and {} KiB clusters{}", pool.uuid(), poolDir, Sizes.format(bytes),
                    cluster >> 10, pc.dataPath() == null ? "" : ", data on " + pc.dataPath());
        }
        PoolUsage u = pool.usage();
        log.info("Depot is serving pool {} from {}: {} volumes, {} used of {}", pool.uuid(), poolDir, u.volumes(),
                Sizes.format(u.usedBytes()), Sizes.format(u.capacityBytes()));
        return pool;
    }

    static String hostPort(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** What a client on this host connects to: loopback when the listener is on every address. */
    static String localHostPort(InetSocketAddress a) {
        if (a.getAddress().isAnyLocalAddress()) {
            return (a.getAddress() instanceof java.net.Inet6Address ? "[::1]" : "127.0.0.1") + ":" + a.getPort();
        }
        return hostPort(a);
    }

    /** A listener could not bind. */
    private static final class PortTaken extends Exception {
        PortTaken(String message) {
            super(message);
        }
    }

    /** What runs, closed in reverse order of starting. */
    private static final class Services {
        final Pool pool;
        IscsiService iscsi;
        NfsGateway nfs;
        ApiServer api;
        ScheduleRunner schedules;
        DepotMetrics metrics;

        Services(Pool pool) {
            this.pool = pool;
        }

        void close() {
            if (api != null) {
                log.info("shutting down: closing the HTTP API");
                api.close();
            }
            if (schedules != null) {
                log.info("shutting down: stopping snapshot schedules");
                schedules.close();
            }
            if (metrics != null) {
                metrics.close();
            }
            if (nfs != null) {
                log.info("shutting down: closing the NFS gateway");
                nfs.close();
            }
            if (iscsi != null) {
                log.info("shutting down: closing iSCSI sessions");
                iscsi.close();
            }
            log.info("shutting down: flushing and closing pool {}", pool.directory());
            pool.close();
            log.info("pool closed cleanly");
        }
    }
}
