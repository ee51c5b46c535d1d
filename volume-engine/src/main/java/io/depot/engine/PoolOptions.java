package io.depot.engine;

import java.nio.file.Path;

/**
 * Settings fixed when a pool is created.
 *
 * @param clusterSize  allocation unit, a power of two from 4 KiB to 1 MiB (default 64 KiB)
 * @param capacityBytes how much data the pool may hold; a multiple of the cluster size
 * @param dataPath     where payload lives: null for a sparse file inside the pool directory, or a
 *                     file or raw block device elsewhere
 */
public record PoolOptions(int clusterSize, long capacityBytes, Path dataPath) {
    public static final int DEFAULT_CLUSTER_SIZE = 64 * 1024;

    public static PoolOptions ofCapacity(long capacityBytes) {
        return new PoolOptions(DEFAULT_CLUSTER_SIZE, capacityBytes, null);
    }

    public PoolOptions withClusterSize(int bytes) { return new PoolOptions(bytes, capacityBytes, dataPath); }

    public PoolOptions withDataPath(Path path) { return new PoolOptions(clusterSize, capacityBytes, path); }
}
