package io.depot.engine.bench;

import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Times {@code Volume.createSnapshot} one call at a time. In the "dirty" variant 1 MiB of random
 * 4 KiB writes precede each snapshot (untimed), so the snapshot's group commit has data to sync,
 * as it would under a live workload.
 */
final class SnapshotLatency {
    record Result(String name, double[] millis) {
        double median() { return Stats.median(millis); }

        double p99() { return Stats.percentile(millis, 99); }

        double max() { return Stats.max(millis); }
    }

    private SnapshotLatency() {}

    static Result measure(String name, Volume v, int count, boolean dirty, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        ByteBuffer block = Scratch.filled(4096, seed);
        double[] millis = new double[count];
        List<Snapshot> taken = new ArrayList<>();
        long blocks = v.sizeBytes() / 4096;
        for (int i = 0; i < count; i++) {
            if (dirty) {
                for (int w = 0; w < 256; w++) {
                    block.clear();
                    v.write(rnd.nextLong(blocks) * 4096, block);
                }
            }
            long t0 = System.nanoTime();
            taken.add(v.createSnapshot(name.replaceAll("[^A-Za-z0-9]", "") + "-" + i));
            millis[i] = (System.nanoTime() - t0) / 1e6;
        }
        for (Snapshot s : taken) {
            s.delete();
        }
        Result r = new Result(name, millis);
        System.err.printf("  %-44s median %.2f ms  p99 %.2f ms  max %.2f ms (%d snapshots)%n", name, r.median(), r.p99(), r.max(), count);
        return r;
    }
}
