package io.depot.engine.core;

import io.depot.engine.PoolTuning;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.StorageIoException;
import io.depot.engine.store.BlockStore;
import io.depot.engine.store.FileBlockStore;
import io.depot.engine.store.RocksMetadataStore;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A multi-cluster write goes to the data file in one call per physically contiguous run: clusters
 * the head owns are overwritten in place, clusters it covers whole are redirected without a copy,
 * and the fresh clusters are mapped only after their run is written. Counted on a real pool (RocksDB
 * and a data file) whose block store records every write call.
 */
class ContiguousWriteTest {
    private static final int CS = 4096;
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;
    private CountingBlockStore blocks;
    private Engine engine;
    private VolumeState v;

    @BeforeEach
    void open() {
        blocks = new CountingBlockStore(new FileBlockStore(dir.resolve("data")));
        // no background commits: every commit in these tests is one the test asks for
        engine = Engine.create(new RocksMetadataStore(dir.resolve("meta")), blocks, CS, 64L * MIB,
                new PoolTuning(64L << 20, 60_000, false));
        v = engine.createVolume("v", 8L * MIB);
    }

    @AfterEach
    void close() {
        engine.close();
    }

    @Test
    void sequentialWritesAreOneCallPerRequestFreshOrInPlace() {
        ByteBuffer first = pattern(MIB, 1);
        blocks.writes.clear();
        v.write(0, first.duplicate(), false);
        assertEquals(calls(256), blocks.writes, "256 fresh clusters, reserved as one run, written 64 KiB a call");

        ByteBuffer second = pattern(MIB, 2);
        blocks.writes.clear();
        v.write(0, second.duplicate(), false);
        assertEquals(calls(256), blocks.writes, "the same clusters overwritten in place, 64 KiB a call");
        assertEquals(second, read(0, MIB));
        engine.flush();
        assertEquals(List.of(), engine.verify());
    }

    @Test
    void copyOnWriteOfWholeClustersIsOneCallAndTheSnapshotKeepsTheOldData() {
        ByteBuffer before = pattern(MIB, 3);
        v.write(0, before.duplicate(), false);
        SnapshotRef snap = engine.snapshotGroup(List.of(v), "s").get(0);
        // one cluster in the middle becomes the head's own (in place from now on), elsewhere in the file
        v.write(100L * CS, pattern(CS, 4), false);

        ByteBuffer after = pattern(MIB, 5);
        blocks.writes.clear();
        v.write(0, after.duplicate(), false);
        List<Long> expected = new ArrayList<>(calls(100));
        expected.add((long) CS);
        expected.addAll(calls(155));
        assertEquals(expected, blocks.writes, "clusters 0-99 redirected as one run, 100 in place, 101-255 redirected as one run");
        assertEquals(after, read(0, MIB));
        assertEquals(before, readSnapshot(snap, 0, MIB));
        engine.flush();
        assertEquals(List.of(), engine.verify());
    }

    @Test
    void unalignedEdgesThatNeedACopyGoAloneAndTheWholeMiddleGoesInOneCall() {
        ByteBuffer before = pattern(MIB, 6);
        v.write(0, before.duplicate(), false);
        SnapshotRef snap = engine.snapshotGroup(List.of(v), "s").get(0);

        int offset = CS + 512;             // starts inside cluster 1, ends inside cluster 11
        int length = 10 * CS;
        ByteBuffer data = pattern(length, 7);
        blocks.writes.clear();
        v.write(offset, data.duplicate(), false);
        assertEquals(List.of((long) CS, 9L * CS, (long) CS), blocks.writes,   // 9 clusters fit in one call
                "each partial shared cluster copied whole, the nine whole clusters between in one call");

        ByteBuffer expected = ByteBuffer.wrap(before.array().clone());
        expected.position(offset);
        expected.put(data.duplicate());
        expected.clear();
        assertEquals(expected, read(0, MIB));
        assertEquals(before, readSnapshot(snap, 0, MIB));
        engine.flush();
        assertEquals(List.of(), engine.verify());
    }

    @Test
    void aFailedRunLeaksNoClusterAndMapsNothingItDidNotWrite() {
        ByteBuffer before = pattern(MIB, 8);
        v.write(0, before.duplicate(), false);
        engine.snapshotGroup(List.of(v), "s");
        long usedBefore = engine.allocator().usedClusters();

        blocks.failNextWrite = true;
        assertThrows(StorageIoException.class, () -> v.write(0, pattern(MIB, 9).duplicate(), false));
        assertEquals(before, read(0, MIB), "the head still maps the old clusters: nothing was mapped before its data");
        engine.flush();   // the reserved clusters come back once a commit has passed
        assertEquals(usedBefore, engine.allocator().usedClusters(), "the failed run's fresh clusters are free again");
        assertEquals(List.of(), engine.verify());
    }

    @Test
    void concurrentOverlappingWritersLeaveEachClusterFromOneOfThem() throws Exception {
        ByteBuffer original = pattern(MIB, 10);
        v.write(0, original.duplicate(), false);
        engine.snapshotGroup(List.of(v), "s");
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 4; t++) {
            int id = t;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    SplittableRandom rnd = new SplittableRandom(id);
                    for (int i = 0; i < 200; i++) {
                        int first = rnd.nextInt(200);
                        v.write((long) first * CS, filledWith(56 * CS, (byte) (id + 1)), false);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread th : threads) {
            th.join();
        }
        assertEquals(List.of(), failures);
        ByteBuffer all = read(0, MIB);
        int rewritten = 0;
        for (int c = 0; c < 256; c++) {
            if (all.slice(c * CS, CS).equals(original.slice(c * CS, CS))) {
                continue;   // no writer reached it
            }
            rewritten++;
            byte first = all.get(c * CS);
            assertTrue(first >= 1 && first <= 4, "cluster " + c + " holds a writer's bytes");
            for (int b = 1; b < CS; b++) {
                if (all.get(c * CS + b) != first) {
                    throw new AssertionError("cluster " + c + " mixes two writers' bytes");
                }
            }
        }
        assertEquals(255, rewritten, "the writers covered clusters 0-254");
        engine.flush();
        assertEquals(List.of(), engine.verify());
    }

    // ---------------------------------------------------------------- helpers

    /** The write calls for {@code clusters} contiguous clusters: as many as fit in one call, then the rest. */
    private static List<Long> calls(int clusters) {
        int perCall = ContiguousRun.MAX_BYTES / CS;
        List<Long> out = new ArrayList<>();
        for (int left = clusters; left > 0; left -= perCall) {
            out.add((long) Math.min(left, perCall) * CS);
        }
        return out;
    }

    private ByteBuffer read(long offset, int length) {
        ByteBuffer dst = ByteBuffer.allocate(length);
        v.read(offset, dst);
        return dst.flip();
    }

    private ByteBuffer readSnapshot(SnapshotRef snap, long offset, int length) {
        ByteBuffer dst = ByteBuffer.allocate(length);
        v.readSnapshot(snap.epoch(), v.sizeBytes(), offset, dst);
        return dst.flip();
    }

    private static ByteBuffer pattern(int length, long seed) {
        byte[] b = new byte[length];
        new SplittableRandom(seed).nextBytes(b);
        return ByteBuffer.wrap(b);
    }

    private static ByteBuffer filledWith(int length, byte value) {
        byte[] b = new byte[length];
        java.util.Arrays.fill(b, value);
        return ByteBuffer.wrap(b);
    }

    /** The real block store, with the length of every write call recorded (and one write failed on request). */
    private static final class CountingBlockStore implements BlockStore {
        final List<Long> writes = java.util.Collections.synchronizedList(new ArrayList<>());
        volatile boolean failNextWrite;
        private final BlockStore inner;

        CountingBlockStore(BlockStore inner) {
            this.inner = inner;
        }

        @Override
        public void read(ByteBuffer dst, long position) {
            inner.read(dst, position);
        }

        @Override
        public void write(ByteBuffer src, long position) {
            if (failNextWrite) {
                failNextWrite = false;
                throw new StorageIoException("injected write failure at " + position, new java.io.IOException("EIO"));
            }
            writes.add((long) src.remaining());
            inner.write(src, position);
        }

        @Override
        public void force() {
            inner.force();
        }

        @Override
        public long dirtyExtent() {
            return inner.dirtyExtent();
        }

        @Override
        public long maxSize() {
            return inner.maxSize();
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
