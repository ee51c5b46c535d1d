package io.depot.iscsi.interop;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.Volume;
import io.depot.iscsi.IscsiService;
import io.depot.iscsi.fabric.IscsiSettings;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * A running Depot iSCSI target on loopback over a real pool: target {@link #IQN} with a volume at
 * LUN 0 (and whatever a test adds). Also runnable by hand for poking with libiscsi tools:
 * {@code java -cp ... io.depot.iscsi.interop.TargetFixture DIR PORT}.
 */
final class TargetFixture implements AutoCloseable {
    static final String IQN = "iqn.2026-11.io.depot:test";

    final Pool pool;
    final IscsiService service;
    final Volume volume;

    TargetFixture(Path dir, long volumeSize, int port) {
        this(Pool.create(dir.resolve("pool"), PoolOptions.ofCapacity(16L << 30)), volumeSize, port);
    }

    TargetFixture(Pool pool, long volumeSize, int port) {
        this.pool = pool;
        this.service = new IscsiService(pool);
        service.createTarget(IQN, "depot test target");
        this.volume = pool.createVolume("lun0", volumeSize);
        service.mapVolume(IQN, 0, volume);
        service.start(IscsiSettings.defaults().withPortal(new InetSocketAddress("127.0.0.1", port)));
    }

    int port() { return service.address().getPort(); }

    String url(int lun) { return "iscsi://127.0.0.1:" + port() + "/" + IQN + "/" + lun; }

    @Override
    public void close() {
        service.close();
        pool.close();
    }

    public static void main(String[] args) throws Exception {
        TargetFixture f = new TargetFixture(Path.of(args[0]), 1L << 30, Integer.parseInt(args[1]));
        System.out.println("serving " + f.url(0));
        Thread.currentThread().join();
    }
}
