package io.depot.engine.stress;

/**
 * Shape and bounds of one run. {@code seconds} bounds the concurrent phase, {@code maxOpsPerActor}
 * bounds it on a fast machine; both can be raised with -Ddepot.stress.seconds / -Ddepot.stress.ops.
 */
record StressConfig(long seed, int clusterSize, int capacityClusters, long seconds, long maxOpsPerActor,
        int volumes, int writersPerVolume, int blocksPerWriter, int maxSnapshotsPerVolume, int maxClones, int cloneWorkers) {

    static StressConfig forClusterSize(int clusterSize) {
        long seed = Long.getLong("depot.stress.seed", System.nanoTime());
        return new StressConfig(seed, clusterSize, 640, Long.getLong("depot.stress.seconds", 6),
                Long.getLong("depot.stress.ops", 200_000), 3, 2, 4, 3, 3, 2);
    }

    int clusterSectors() { return clusterSize / SectorRange.SECTOR; }

    long capacityBytes() { return (long) capacityClusters * clusterSize; }
}
