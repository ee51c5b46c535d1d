package io.depot.engine;

import io.depot.engine.core.Engine;

/** Test and bench access to a pool's engine (its counters), which the public API does not expose. */
public final class PoolInternals {
    private PoolInternals() {}

    public static Engine engine(Pool pool) { return pool.engine(); }
}
