package io.depot.engine.stress;

/**
 * When a view of a range was observed: a read, or the taking of a snapshot. {@code latestCompleted[i]}
 * is, for sector {@code first + i}, the start time of the latest-starting operation known to have
 * completed before {@code start} (0: none), sampled before {@code start} was ticked so it never
 * includes an operation that completed later.
 */
record ReadWindow(long first, long[] latestCompleted, long start, long end) {}
