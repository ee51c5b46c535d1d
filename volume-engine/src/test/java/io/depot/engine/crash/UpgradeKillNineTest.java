package io.depot.engine.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.ScrubStatus;
import io.depot.engine.scrub.Format1Fixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real kill -9 of a process upgrading the checked-in format-1 pool: the pool opens, reads back
 * exactly (during the resumed upgrade too), and the upgrade it resumes by itself finishes.
 */
class UpgradeKillNineTest {
    @TempDir Path dir;

    @Test
    void aCrashInTheMiddleOfTheUpgradeLeavesAPoolThatReadsExactlyAndFinishesIt() throws Exception {
        Path poolDir = Format1Fixture.copyTo(dir.resolve("pool"));
        Path nativeDir = CrashWorkerProcess.extractRocksLibrary(dir.resolve("native"));
        CrashWorkerProcess worker = CrashWorkerProcess.start(UpgradeCrashWorker.class, List.of(poolDir.toString()),
                dir.resolve("worker.err"), nativeDir);
        assertTrue(worker.awaitProgress(90, TimeUnit.SECONDS), "no progress:\n" + worker.output());
        Thread.sleep(new Random().nextInt(1500));   // not synchronisation: the delay picks where the crash lands
        assertTrue(worker.isAlive(), "the worker ended by itself:\n" + worker.output());
        worker.killNine();

        try (Pool pool = Pool.open(poolDir)) {
            long unverified = pool.integrity().unverifiedClusters();
            ScrubStatus resumed = pool.scrubStatus();
            System.out.printf("after the crash: %d of 61 clusters still unverified, upgrade %s%n", unverified, resumed.state());
            assertTrue(unverified > 0, "killed before the end");
            assertEquals(ScrubStatus.Mode.UPGRADE, resumed.mode());
            Format1Fixture.assertReadsExactly(pool);   // while the resumed upgrade runs
            ScrubStatus done = pool.awaitScrub(Duration.ofMinutes(2));
            assertEquals(ScrubStatus.State.DONE, done.state(), done.toString());
            assertEquals(0, pool.integrity().unverifiedClusters());
            assertEquals(0, done.damagedBlocks());
            Format1Fixture.assertReadsExactly(pool);
            assertEquals(List.of(), pool.verify());
        }
        try (Pool pool = Pool.open(poolDir)) {
            assertEquals(0, pool.integrity().unverifiedClusters());
            Format1Fixture.assertReadsExactly(pool);
        }
    }
}
