package io.depot.engine;

/**
 * Space figures of a pool. {@code usedBytes} counts clusters held by any volume or snapshot;
 * {@code provisionedBytes} is the sum of the volumes' virtual sizes. A cluster freed by an unmap,
 * overwrite or delete counts as used until the free is durable (the next flush, or within a second).
 */
public record PoolUsage(long capacityBytes, long usedBytes, long provisionedBytes, int clusterSize, int volumes, int snapshots) {
    public long freeBytes() { return capacityBytes - usedBytes; }

    /** Provisioned over capacity: above 1 the pool is overcommitted. */
    public double overcommitRatio() { return capacityBytes == 0 ? 0 : (double) provisionedBytes / capacityBytes; }
}
