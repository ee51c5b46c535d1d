package io.depot.engine.stress;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many threads on several volumes of a real pool (RocksDB and a data file), with snapshots, clones,
 * flattens, deletes, unmaps and compare-and-write races at the same time; every read is checked
 * against a model (see {@link VolumeModel}). Then: scrub, full verification, reopen, space accounting.
 *
 * <p>Seeded: the seed is printed, and {@code -Ddepot.stress.seed=N} replays each actor's choices
 * (thread interleaving cannot be replayed). {@code -Ddepot.stress.seconds=N} lengthens the run.
 */
class ConcurrentStressTest {
    @TempDir Path dir;

    @Test
    void clusters64KiB() {
        Stats stats = new StressRun(StressConfig.forClusterSize(64 * 1024), dir).run();
        assertDidWork(stats);
    }

    @Test
    void clusters4KiB() {
        Stats stats = new StressRun(StressConfig.forClusterSize(4 * 1024), dir).run();
        assertDidWork(stats);
    }

    /** A run that silently did nothing must not pass. */
    private static void assertDidWork(Stats stats) {
        for (String what : new String[] {"owned writes", "shared-range writes", "owned unmaps", "snapshots taken",
                "compare-and-write rounds (exactly one winner)", "linked clones created", "full clones created", "reopens verified"}) {
            assertTrue(stats.get(what) > 0, "the run did no " + what + ":\n" + stats.summary());
        }
    }
}
