package io.depot.engine.stress;

import io.depot.engine.Pool;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** What every actor of a run shares: the pool, the model, the failures and the stop signal. */
final class StressContext {
    final StressConfig config;
    final Layout layout;
    final History history = new History();
    final Failures failures = new Failures();
    final Stats stats = new Stats();
    final List<VolumeModel> volumes = new CopyOnWriteArrayList<>();
    /** Live, verified snapshots. */
    final List<SnapshotModel> snapshots = new CopyOnWriteArrayList<>();
    /** Live clones. */
    final List<CloneModel> clones = new CopyOnWriteArrayList<>();
    volatile Pool pool;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicInteger names = new AtomicInteger();
    private final AtomicInteger volumeIds = new AtomicInteger();
    private volatile long deadlineNanos = Long.MAX_VALUE;

    StressContext(StressConfig config) {
        this.config = config;
        this.layout = Layout.of(config.clusterSectors(), config.writersPerVolume(), config.blocksPerWriter());
    }

    void startClock() { deadlineNanos = System.nanoTime() + config.seconds() * 1_000_000_000L; }

    boolean running() { return !stop.get() && !failures.any() && System.nanoTime() < deadlineNanos; }

    void stop() { stop.set(true); }

    int nextName() { return names.incrementAndGet(); }

    int nextVolumeId() { return volumeIds.incrementAndGet(); }

    /** Each actor draws from its own generator so a seed replays every actor's choices. */
    Random random(int actorId) { return new Random(config.seed() * 1_000_003L + actorId); }
}
