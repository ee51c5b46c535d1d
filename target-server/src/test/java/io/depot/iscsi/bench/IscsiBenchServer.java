package io.depot.iscsi.bench;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.Volume;
import io.depot.iscsi.IscsiService;
import io.depot.iscsi.fabric.IscsiSettings;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Depot side of {@code bench/iscsi-bench.sh}: a fresh pool in a scratch directory, one target
 * with thin volumes at LUNs 1..N (tgtd puts its first backing store at LUN 1 too, so both URLs
 * end the same way), served on a loopback portal until SIGTERM. Prints one {@code ready URL}
 * line (LUN 1) on stdout once the portal accepts logins.
 *
 * <pre>java ... io.depot.iscsi.bench.IscsiBenchServer --dir DIR --port PORT --size 1g [--luns N]</pre>
 */
public final class IscsiBenchServer {
    static final String IQN = "iqn.2026-11.io.depot:bench";

    private IscsiBenchServer() {}

    public static void main(String[] args) throws Exception {
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            System.setProperty("io.netty.leakDetection.level", "disabled"); // as the appliance runs
        }
        Path dir = null;
        int port = 3261;
        long size = 1L << 30;
        int luns = 1;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--dir" -> dir = Path.of(required(args[i], value));
                case "--port" -> port = Integer.parseInt(required(args[i], value));
                case "--size" -> size = parseSize(required(args[i], value));
                case "--luns" -> luns = Integer.parseInt(required(args[i], value));
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (expected --dir DIR --port PORT --size SIZE [--luns N])");
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

        // Capacity well above the volume so allocation never runs into the pool limit.
        Pool pool = Pool.create(poolDir, PoolOptions.ofCapacity(Math.max(16L << 30, 4 * luns * size)));
        IscsiService service = new IscsiService(pool);
        service.createTarget(IQN, "depot bench target");
        for (int lun = 1; lun <= luns; lun++) {
            Volume volume = pool.createVolume("bench" + lun, size);
            service.mapVolume(IQN, lun, volume);
        }
        service.start(IscsiSettings.defaults().withPortal(new InetSocketAddress("127.0.0.1", port)));

        // SIGTERM from the script closes the portal and then the pool (RocksDB wants a clean close).
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            pool.close();
        }, "bench-shutdown"));
        System.out.println("ready iscsi://127.0.0.1:" + service.address().getPort() + "/" + IQN + "/1");
        System.out.flush();
        Thread.currentThread().join();
    }

    private static String required(String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }

    /** 1g, 512m, 4096k or plain bytes. */
    static long parseSize(String text) {
        String t = text.trim().toLowerCase();
        long unit = switch (t.charAt(t.length() - 1)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            case 't' -> 1L << 40;
            default -> 1;
        };
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        return Long.parseLong(digits) * unit;
    }
}
