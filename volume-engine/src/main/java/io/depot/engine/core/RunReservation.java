package io.depot.engine.core;

/**
 * Fresh clusters for one multi-cluster write: reserved as a run on first need, so the request's
 * new clusters are physically contiguous (one syscall when read back sequentially).
 */
final class RunReservation {
    private final long lastCluster;
    private ClusterAllocator.Run run;
    private long next;

    RunReservation(long lastCluster) { this.lastCluster = lastCluster; }

    /** @param whole the cluster will be written in full, so a dirty one serves (see {@link ClusterAllocator}) */
    ClusterAllocator.Allocation take(PoolContext ctx, long cluster, boolean whole) {
        if (run == null || next >= run.first() + run.count()) {
            int remaining = (int) Math.min(1024, lastCluster - cluster + 1);
            ClusterAllocator.Run fresh = ctx.allocator.reserveRun(remaining, whole);
            if (fresh == null) {
                return ctx.allocate(whole);
            }
            run = fresh;
            next = fresh.first();
        }
        return new ClusterAllocator.Allocation(next++, run.clean());
    }

    /** Gives the clusters of the run that were not taken back to the allocator. */
    void returnUnused(ClusterAllocator allocator) {
        if (run != null) {
            allocator.returnUnused(run, next);
            next = run.first() + run.count();
        }
    }
}
