package io.depot.appliance.metrics;

import io.depot.engine.Pool;
import io.depot.engine.PoolUsage;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.ToDoubleFunction;

/**
 * Space and object counts of the pool: {@code depot_pool_capacity_bytes}, {@code _used_bytes},
 * {@code _free_bytes}, {@code _provisioned_bytes}, {@code depot_pool_overcommit_ratio},
 * {@code depot_pool_volumes}, {@code depot_pool_snapshots}. One {@link Pool#usage()} per scrape,
 * taken by {@link #refresh()}, so the figures of one scrape agree with each other.
 */
final class PoolGauges {
    private final Pool pool;
    private volatile PoolUsage usage;

    PoolGauges(MeterRegistry registry, Pool pool) {
        this.pool = pool;
        this.usage = pool.usage();
        gauge(registry, "depot.pool.capacity", "bytes", "Capacity of the pool", u -> u.capacityBytes());
        gauge(registry, "depot.pool.used", "bytes", "Bytes held by volumes and snapshots", u -> u.usedBytes());
        gauge(registry, "depot.pool.free", "bytes", "Capacity not in use", u -> u.freeBytes());
        gauge(registry, "depot.pool.provisioned", "bytes", "Sum of the volumes' virtual sizes", u -> u.provisionedBytes());
        gauge(registry, "depot.pool.overcommit", "ratio", "Provisioned over capacity; above 1 the pool is overcommitted",
                PoolUsage::overcommitRatio);
        gauge(registry, "depot.pool.volumes", null, "Volumes in the pool (NFS file volumes included)", u -> u.volumes());
        gauge(registry, "depot.pool.snapshots", null, "Snapshots in the pool", u -> u.snapshots());
    }

    private void gauge(MeterRegistry registry, String name, String unit, String description, ToDoubleFunction<PoolUsage> f) {
        Gauge.builder(name, this, g -> f.applyAsDouble(g.usage)).baseUnit(unit).description(description).strongReference(true).register(registry);
    }

    void refresh() {
        usage = pool.usage();
    }
}
