package io.depot.engine;

/**
 * How an open pool runs, chosen each time it is opened (unlike {@link PoolOptions}, fixed at creation).
 *
 * @param cacheBytes           memory budget of the mapping cache (at least 64 pages are kept whatever the budget)
 * @param commitIntervalMillis how often the background group commit makes completed writes durable
 *                             (a flush or FUA write does not wait for it)
 * @param background           false runs no background thread at all: no periodic commit, flattens run in
 *                             the caller and deleted volumes are reclaimed only when asked (for
 *                             deterministic tests and the crash simulation)
 */
public record PoolTuning(long cacheBytes, long commitIntervalMillis, boolean background) {
    /** 256 MiB of mapping cache, a commit every second, background threads on. */
    public static PoolTuning defaults() { return new PoolTuning(256L << 20, 1000, true); }
}
