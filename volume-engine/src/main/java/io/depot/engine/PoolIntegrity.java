package io.depot.engine;

import java.util.List;

/**
 * What the pool knows about damaged data ({@link Pool#integrity()}). A block stays listed until the
 * damage is cleared: the block is overwritten, unmapped, or freed with the last volume or snapshot
 * that referenced it. The list survives restarts (it is kept in the pool).
 */
public interface PoolIntegrity {
    /** The damaged blocks known now, in the order found. */
    List<DamagedBlock> damage();

    /** True while any damaged block is known: the pool's health is degraded. */
    default boolean degraded() { return !damage().isEmpty(); }

    /** Checksum mismatches detected since the pool opened (each detection of each block counts once per read that hit it). */
    long detections();

    /** Clusters written before checksums existed (format 1) that no read can verify yet. */
    long unverifiedClusters();
}
