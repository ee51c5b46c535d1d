package io.depot.engine.sim;

import io.depot.engine.PoolTuning;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.core.Engine;
import io.depot.engine.core.VolumeState;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Shrinking a thin volume should cost what it discards, not its virtual size. Measured with the
 * engine's own count of mapping-page loads, so the test is deterministic and needs no timing.
 */
class ShrinkCostTest {
    private static final int CLUSTER = 4096;
    private static final int CLUSTERS_PER_PAGE = 1024;   // one mapping page of the engine's cache

    private static Engine engine() {
        CrashSwitch sw = new CrashSwitch(new Random(1));
        return Engine.create(new SimulatedMetadataStore(sw), new SimulatedBlockStore(sw), CLUSTER, 1024L * CLUSTER,
                new PoolTuning(256L << 10, 1000, false));
    }

    @Test
    void shrinkingAnEmptyRangeLoadsAtMostOnePagePerPageCut() {
        Engine engine = engine();
        long pagesCut = 512;
        VolumeState v = engine.createVolume("v", (pagesCut + 1) * CLUSTERS_PER_PAGE * CLUSTER);
        long before = engine.cachePageLoads();
        engine.resize(v, (long) CLUSTERS_PER_PAGE * CLUSTER, true);
        long loads = engine.cachePageLoads() - before;
        System.out.println("shrink cutting " + pagesCut + " empty pages: " + loads + " page loads");
        assertTrue(loads <= pagesCut, "shrinking " + pagesCut + " pages of nothing loaded " + loads + " pages");
    }
}
