package io.depot.engine.crash;

import io.depot.engine.PoolTuning;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.depot.engine.core.Engine;
import io.depot.engine.core.Keys;
import io.depot.engine.core.VolumeState;
import io.depot.engine.store.FileBlockStore;
import io.depot.engine.store.MetaBatch;
import io.depot.engine.store.MetadataStore;
import io.depot.engine.store.RocksMetadataStore;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reproduces the data loss {@link KillNineCrashTest} found (seed 8233851058164, iteration 117): a
 * copy-on-write redirect stages "delete the old mapping, free its cluster" and "put the new mapping"
 * in separate calls to the commit pipeline, so a group commit running in between makes the first
 * durable without the second. A crash at that point leaves the cluster unmapped: flushed data in the
 * rest of the cluster is gone, although only an unflushed write touched the cluster since.
 *
 * <p>The test races redirects against a flusher spinning on commits, records every batch the engine
 * commits to (real) RocksDB, and if one carries a redirect's delete without its put, replays the
 * batches up to that one into a fresh RocksDB, as a crash right after that commit would leave it, and
 * reads the cluster back.
 */
class CopyOnWriteStagingAtomicityTest {
    private static final int CLUSTER = 4096;
    private static final int CLUSTERS = 2048;
    private static final int ROUNDS = 10;

    @TempDir Path tmp;

    /** Passes every call to RocksDB and keeps every committed batch, in order. */
    private static final class RecordingStore implements MetadataStore {
        final RocksMetadataStore rocks;
        final List<MetaBatch> committed = new ArrayList<>();

        RecordingStore(Path dir) { rocks = new RocksMetadataStore(dir); }

        @Override public byte[] get(byte[] key) { return rocks.get(key); }
        @Override public Entry floor(byte[] key, byte[] lowest) { return rocks.floor(key, lowest); }
        @Override public void scan(byte[] from, byte[] to, BiPredicate<byte[], byte[]> visitor) { rocks.scan(from, to, visitor); }
        @Override public synchronized void write(MetaBatch batch) {
            rocks.write(batch);
            committed.add(batch);
        }
        @Override public void close() { rocks.close(); }
    }

    @Test
    void aRedirectIsCommittedWholeOrNotAtAll() throws Exception {
        // tmpfs makes a commit cost microseconds, so the flusher lands between staging calls often
        Path base = Files.isDirectory(Path.of("/dev/shm")) ? Files.createTempDirectory(Path.of("/dev/shm"), "depot-cow-") : tmp;
        try {
            run(base);
        } finally {
            try (var all = Files.walk(base)) {
                all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private void run(Path base) throws Exception {
        Path data = base.resolve("data");
        RecordingStore store = new RecordingStore(base.resolve("meta"));
        PoolTuning quiet = new PoolTuning(16L << 20, 1000, false);
        try (Engine engine = Engine.create(store, new FileBlockStore(data), CLUSTER, 64L << 20, quiet)) {
            VolumeState vol = engine.createVolume("v", (long) CLUSTERS * CLUSTER);
            long volId = vol.id();
            // write id 1 fills every cluster and is flushed: it must survive anything that follows
            ByteBuffer a = ByteBuffer.allocate(CLUSTERS * CLUSTER);
            SectorPayload.fill(a, 1, 0, 0, CLUSTERS * CLUSTER / 512);
            vol.write(0, a.flip(), true);
            for (int round = 0; round < ROUNDS; round++) {
                // snapshot and delete it: every head mapping is now from an older epoch and unshared,
                // so the next write to each cluster redirects it and frees the old cluster
                engine.deleteSnapshot(engine.snapshotGroup(List.of(vol), "s" + round).get(0));
                int firstBatch = store.committed.size();
                AtomicBoolean stop = new AtomicBoolean();
                Thread flusher = new Thread(() -> {
                    while (!stop.get()) {
                        engine.flush();
                    }
                });
                flusher.start();
                long writeId = 2 + round;
                for (int c = 0; c < CLUSTERS; c++) {
                    ByteBuffer b = ByteBuffer.allocate(512);
                    SectorPayload.fill(b, writeId, 0, (long) c * CLUSTER / 512, 1);
                    vol.write((long) c * CLUSTER, b.flip(), false);   // sector 0 of the cluster only, not flushed
                }
                stop.set(true);
                flusher.join();
                engine.flush();
                int torn = findTornRedirect(store.committed, firstBatch, volId);
                if (torn >= 0) {
                    long cluster = tornCluster(store.committed.get(torn), volId);
                    String after = readAfterCrash(base, data, store.committed.subList(0, torn + 1), cluster);
                    assertEquals("sectors 1..7 hold write 1's data", after,
                            "after a crash right after commit " + torn + " (round " + round + "), cluster " + cluster
                                    + " of the volume lost flushed data: the commit carried the redirect's delete of the old"
                                    + " mapping but not the new mapping");
                    return;
                }
            }
        }
    }

    /** Index of the first batch (from {@code from}) that deletes a head mapping of the volume without putting its replacement. */
    private static int findTornRedirect(List<MetaBatch> batches, int from, long volId) {
        for (int i = from; i < batches.size(); i++) {
            if (tornCluster(batches.get(i), volId) >= 0) {
                return i;
            }
        }
        return -1;
    }

    private static long tornCluster(MetaBatch batch, long volId) {
        for (MetaBatch.Op op : batch.ops()) {
            byte[] k = op.key();
            if (op.value() == null && k[0] == Keys.MAPPING && Keys.field(k, 0) == volId) {
                long cluster = Keys.field(k, 1);
                boolean replaced = batch.ops().stream().anyMatch(o -> o.value() != null && o.key()[0] == Keys.MAPPING
                        && Keys.field(o.key(), 0) == volId && Keys.field(o.key(), 1) == cluster);
                if (!replaced) {
                    return cluster;
                }
            }
        }
        return -1;
    }

    /** Rebuilds the metadata a crash after the given batches leaves, opens it, and describes sectors 1..7 of the cluster. */
    private static String readAfterCrash(Path base, Path data, List<MetaBatch> batches, long cluster) {
        Path meta = base.resolve("meta-after-crash");
        RocksMetadataStore replay = new RocksMetadataStore(meta);
        for (MetaBatch b : batches) {
            replay.write(b);
        }
        try (Engine engine = Engine.open(replay, new FileBlockStore(data), new PoolTuning(16L << 20, 1000, false))) {
            ByteBuffer got = ByteBuffer.allocate(CLUSTER);
            engine.volume("v").read(cluster * CLUSTER, got);
            List<String> wrong = new ArrayList<>();
            for (int s = 1; s < CLUSTER / 512; s++) {
                SectorPayload.Identity who = SectorPayload.identify(got, s * 512);
                if (who.kind() != SectorPayload.Identity.Kind.PAYLOAD || who.writeId() != 1) {
                    wrong.add("sector " + s + " holds " + who.describe());
                }
            }
            return wrong.isEmpty() ? "sectors 1..7 hold write 1's data" : String.join("; ", wrong);
        }
    }

}
