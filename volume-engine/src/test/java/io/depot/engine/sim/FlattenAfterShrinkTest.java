package io.depot.engine.sim;

import io.depot.engine.PoolTuning;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.depot.engine.core.Engine;
import io.depot.engine.core.VolumeState;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Engine bug found by the crash simulation (seeds 1000 and 5062 at 500 operations): flattening a
 * clone that was shrunk after one of its snapshots loses that snapshot's tail.
 *
 * <p>{@code Engine.flatten} (now {@code Clones.flatten}) only visited clusters below the clone's current head size
 * ({@code clone.sizeBytes}). A snapshot of the clone taken before a shrink is larger and still reads
 * its tail through the origin; when the flatten finishes it sets {@code origin = null}, and those
 * clusters then read as zeros in the snapshot. The range should reach the largest snapshot size.
 */
class FlattenAfterShrinkTest {
    private static final int CLUSTER = 4096;

    @Test
    void flattenKeepsTheTailThatAnOlderSnapshotOfTheShrunkCloneSees() {
        CrashSwitch sw = new CrashSwitch(new Random(1));
        Engine engine = Engine.create(new SimulatedMetadataStore(sw), new SimulatedBlockStore(sw), CLUSTER, 64L * CLUSTER,
                new PoolTuning(256L << 10, 1000, false));
        VolumeState v = engine.createVolume("v", 4L * CLUSTER);
        byte[] data = new byte[CLUSTER];
        Arrays.fill(data, (byte) 7);
        v.write(3L * CLUSTER, ByteBuffer.wrap(data), false);
        var origin = engine.snapshotGroup(List.of(v), "s").get(0);
        VolumeState clone = engine.clone(origin, "c", false);
        var before = engine.snapshotGroup(List.of(clone), "before-shrink").get(0);
        engine.resize(clone, CLUSTER, true);

        engine.startFlatten(clone);
        assertFalse(clone.hasOrigin(), "the flatten finished");

        ByteBuffer dst = ByteBuffer.allocate(CLUSTER);
        clone.readSnapshot(before.epoch(), before.record().sizeBytes(), 3L * CLUSTER, dst);
        assertArrayEquals(data, dst.array(), "the snapshot taken before the shrink still shows the origin's data");
    }
}
