package io.depot.engine;

/**
 * Told once whether a catalog ticket became durable ({@link Catalog#whenDurable}): {@code true}
 * once its commit is durable, {@code false} once that commit failed (or the pool closed first).
 * Runs on the pool's commit-syncer thread, never the caller's: it must be quick (hand the rest
 * to an event loop or an executor).
 */
@FunctionalInterface
public interface DurabilityCallback {
    void done(boolean durable);
}
