package io.depot.engine.sim;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs the crash simulation of the copy-on-write engine over many seeds.
 *
 * <p>Defaults suit CI (40 seeds of 300 operations). {@code -Ddepot.sim.seeds=N} runs seeds 1..N,
 * {@code -Ddepot.sim.firstSeed=F} starts elsewhere, {@code -Ddepot.sim.seed=S} replays one seed,
 * {@code -Ddepot.sim.ops=K} sets the operations per seed.
 */
class CowSimulationTest {

    @Test
    void copyOnWriteEngineSurvivesRandomOperationsAndPowerCuts() {
        run(4096);
    }

    /**
     * The same at 16 KiB clusters: partial writes after snapshots make overlays (sub-cluster
     * copy-on-write) whose blocks come from two clusters, completed when snapshots are deleted.
     */
    @Test
    void subClusterCopyOnWriteSurvivesRandomOperationsAndPowerCuts() {
        run(16384);
    }

    private void run(int clusterSize) {
        int ops = Integer.getInteger("depot.sim.ops", 300);
        List<Long> seeds = new ArrayList<>();
        String one = System.getProperty("depot.sim.seed");
        if (one != null && !one.isBlank()) {
            seeds.add(Long.parseLong(one.trim()));
        } else {
            long first = Long.getLong("depot.sim.firstSeed", 1);
            int count = Integer.getInteger("depot.sim.seeds", 40);
            for (long s = first; s < first + count; s++) {
                seeds.add(s);
            }
        }
        CowSimulation.Stats total = new CowSimulation.Stats();
        List<String> failures = new ArrayList<>();
        long started = System.nanoTime();
        for (long seed : seeds) {
            CowSimulation sim = new CowSimulation(seed, ops, clusterSize);
            try {
                sim.run();
            } catch (AssertionError e) {
                failures.add(e.getMessage());
                System.err.println(e.getMessage());
            }
            total.add(sim.stats());
        }
        System.out.printf("crash simulation (%d KiB clusters): %d seeds in %.1f s, %d failed; %s%n", clusterSize >> 10, seeds.size(),
                (System.nanoTime() - started) / 1e9, failures.size(), total);
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + seeds.size() + " seeds failed; first:\n" + failures.get(0));
        }
    }
}
