package io.depot.engine.sim;

import io.depot.engine.PoolTuning;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.depot.engine.core.Engine;
import io.depot.engine.core.VolumeState;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Engine bug found while building the crash simulation: writes that touch more mapping pages than
 * the cache holds, with no commit in between, never return.
 *
 * <p>Every page with a staged change is unevictable until the next commit. When the cache is full
 * of such pages, loading one more page runs a sweep that can evict only the page just loaded; the
 * write's {@code pinnedPage} then finds it evicted, reloads it, and the sweep evicts it again,
 * forever ({@code MappingCache.pinnedPage} / {@code page} / {@code sweep}). Without background
 * threads nothing ever commits, so it spins for good; with them, every writer spins until the
 * next background commit (up to a second, sweeping the whole cache on each turn).
 */
class CacheLivelockTest {
    private static final int CLUSTER = 4096;
    private static final int CLUSTERS_PER_PAGE = 1024;   // clusters per engine mapping page
    private static final int CACHE_PAGES = 64;           // the engine's floor; 256 KiB asks for fewer

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void unflushedWritesToMorePagesThanTheCacheHoldsComplete() {
        CrashSwitch sw = new CrashSwitch(new Random(1));
        Engine engine = Engine.create(new SimulatedMetadataStore(sw), new SimulatedBlockStore(sw), CLUSTER,
                1024L * CLUSTER, new PoolTuning(256L << 10, 1000, false));
        int pages = CACHE_PAGES + 6;
        VolumeState v = engine.createVolume("v", (long) pages * CLUSTERS_PER_PAGE * CLUSTER);
        for (int p = 0; p < pages; p++) {   // one 512-byte write at the start of each page, no flush
            v.write((long) p * CLUSTERS_PER_PAGE * CLUSTER, ByteBuffer.allocate(512).put(0, (byte) (p + 1)), false);
        }
        engine.flush();
        for (int p = 0; p < pages; p++) {
            ByteBuffer dst = ByteBuffer.allocate(512);
            v.read((long) p * CLUSTERS_PER_PAGE * CLUSTER, dst);
            assertEquals((byte) (p + 1), dst.get(0), "page " + p);
        }
    }
}
