package io.depot.engine.crash;

import io.depot.engine.Pool;
import java.nio.file.Path;

/**
 * The process that {@link UpgradeKillNineTest} kills with SIGKILL in the middle of a format upgrade:
 * opens the pool, starts the upgrade under a tight bandwidth cap and prints {@link CrashWorker#PROGRESS}
 * once some clusters are done. Usage: {@code UpgradeCrashWorker POOL_DIR}.
 */
public final class UpgradeCrashWorker {
    private UpgradeCrashWorker() {}

    public static void main(String[] args) throws Exception {
        Pool pool = Pool.open(Path.of(args[0]));
        pool.upgrade(1L << 20);
        while (pool.scrubStatus().clustersUpgraded() < 8) {
            Thread.sleep(5);
        }
        System.out.println(CrashWorker.PROGRESS + " " + pool.scrubStatus().clustersUpgraded());
        System.out.flush();
        pool.awaitScrub(java.time.Duration.ofMinutes(5));   // killed long before
    }
}
