package io.depot.appliance.metrics;

import io.depot.engine.PoolIntegrity;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The pool's data integrity: {@code depot_data_checksum_errors_total} (checksum mismatches detected
 * since the daemon started, one per read that hit a damaged block), {@code depot_pool_damaged_blocks}
 * (damaged 4 KiB blocks known now; the pool is degraded while above 0) and
 * {@code depot_pool_unverified_clusters} (data written before checksums existed). Read at scrape time.
 */
final class IntegrityMeters {
    private IntegrityMeters() {}

    static void bind(MeterRegistry registry, PoolIntegrity integrity) {
        FunctionCounter.builder("depot.data.checksum.errors", integrity, PoolIntegrity::detections)
                .description("Checksum mismatches detected (reads and scrubs) since the daemon started").register(registry);
        Gauge.builder("depot.pool.damaged.blocks", integrity, i -> i.damage().size())
                .description("Damaged 4 KiB blocks known to the pool, until overwritten, unmapped or freed").strongReference(true).register(registry);
        Gauge.builder("depot.pool.unverified.clusters", integrity, PoolIntegrity::unverifiedClusters)
                .description("Clusters written before checksums existed, which no read can verify").strongReference(true).register(registry);
    }
}
