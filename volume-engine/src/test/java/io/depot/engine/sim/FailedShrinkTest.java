package io.depot.engine.sim;

import io.depot.engine.PoolTuning;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.depot.engine.OutOfSpaceException;
import io.depot.engine.core.Engine;
import io.depot.engine.core.VolumeState;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Engine bug found by the crash simulation: a shrink that fails for lack of space still changes the
 * volume's size in memory, but not in the store, so a restart brings the old size back.
 *
 * <p>{@code Engine.resize} (now {@code Volumes.resize}) set {@code v.sizeBytes = newSize} before {@code unmapTail}; zeroing the
 * partial cluster at the new end of a linked clone is a copy-on-write, which needs a free cluster.
 * When that throws, the size is never restored and the volume record is never persisted.
 */
class FailedShrinkTest {
    private static final int CLUSTER = 4096;

    @Test
    void shrinkFailingForLackOfSpaceLeavesTheSizeUnchanged() {
        CrashSwitch sw = new CrashSwitch(new Random(1));
        SimulatedMetadataStore meta = new SimulatedMetadataStore(sw);
        SimulatedBlockStore blocks = new SimulatedBlockStore(sw);
        PoolTuning options = new PoolTuning(256L << 10, 1000, false);
        Engine engine = Engine.create(meta, blocks, CLUSTER, 4L * CLUSTER, options);
        VolumeState v = engine.createVolume("v", 4L * CLUSTER);
        v.write(0, ByteBuffer.allocate(4 * CLUSTER), false);   // the pool is now full
        var snap = engine.snapshotGroup(java.util.List.of(v), "s").get(0);
        VolumeState clone = engine.clone(snap, "c", false);
        long newSize = CLUSTER + 512;   // the new end cuts a cluster the clone reads from its origin

        assertThrows(OutOfSpaceException.class, () -> engine.resize(clone, newSize, true));

        assertEquals(4L * CLUSTER, clone.sizeBytes(), "a failed shrink must not change the size");
        engine.close();
        Engine reopened = Engine.open(meta, blocks, options);
        assertEquals(4L * CLUSTER, reopened.volume("c").sizeBytes());
    }
}
