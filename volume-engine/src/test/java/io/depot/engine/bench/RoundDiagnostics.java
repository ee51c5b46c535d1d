package io.depot.engine.bench;

import io.depot.engine.Pool;
import io.depot.engine.PoolInternals;
import io.depot.engine.core.Engine.CacheCounters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Wraps the engine side of a row and prints, after each of its rounds, what the round cost beyond the
 * software path: bytes this process read from storage (page-cache misses: {@code read_bytes} of
 * /proc/self/io) and the mapping cache's page loads, evictions and direct store lookups. Counted,
 * not timed, so a slow round can be told apart from a slow engine.
 */
final class RoundDiagnostics implements Comparison.Side {
    private final String row;
    private final String side;
    private final Comparison.Side inner;
    private final Pool pool;
    private long readBytes;
    private CacheCounters counters;

    RoundDiagnostics(String row, String side, Comparison.Side inner, Pool pool) {
        this.row = row;
        this.side = side;
        this.inner = inner;
        this.pool = pool;
    }

    @Override
    public IoTarget prepare(int round) {
        IoTarget t = inner.prepare(round);
        readBytes = storageReadBytes();
        counters = PoolInternals.engine(pool).cacheCounters();
        return t;
    }

    @Override
    public void cleanUp(int round) {
        long read = storageReadBytes() - readBytes;
        CacheCounters d = PoolInternals.engine(pool).cacheCounters().minus(counters);
        System.err.printf("  %-34s round %d %s side: %,d KiB read from storage, %d page loads, %d evictions, %d store lookups, %d pages cached%n",
                row, round, side, read >> 10, d.pageLoads(), d.evictions(), d.storeLookups(), d.cachedPages());
        inner.cleanUp(round);
    }

    /** Bytes this process caused to be read from storage so far (-1 if the kernel does not say). */
    static long storageReadBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
                if (line.startsWith("read_bytes:")) {
                    return Long.parseLong(line.substring("read_bytes:".length()).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or no task I/O accounting
        }
        return -1;
    }
}
