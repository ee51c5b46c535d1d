package io.depot.engine.scrub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.DataCorruptionException;
import io.depot.engine.Pool;
import io.depot.engine.ScrubStatus;
import io.depot.engine.ScrubStatus.State;
import io.depot.engine.TestData;
import io.depot.engine.Volume;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checked-in format-1 pool opens with this release, reads back exactly, and upgrades online to every block checksummed. */
class FormatUpgradeTest {
    private static final int CLUSTER = 64 * 1024;
    private static final long GAMMA_OWN = 1L << 20;
    private static final int GAMMA_OWN_LENGTH = 192 * 1024;

    @TempDir Path dir;

    @Test
    void aFormat1PoolReadsExactlyAndTheOnlineUpgradeChecksumsEveryCluster() throws Exception {
        Path poolDir = Format1Fixture.copyTo(dir.resolve("pool"));
        byte[] gamma = new byte[GAMMA_OWN_LENGTH];
        try (Pool pool = Pool.open(poolDir)) {
            assertTrue(Files.readString(poolDir.resolve("pool.properties")).contains("format=2"));
            Format1Fixture.assertReadsExactly(pool);
            long clusters = pool.usage().usedBytes() / CLUSTER;
            assertEquals(61, clusters, "the fixture's data clusters");
            assertEquals(clusters, pool.integrity().unverifiedClusters(), "all format-1 data is unverified");
            pool.volume("gamma").read(GAMMA_OWN, ByteBuffer.wrap(gamma));

            // the upgrade runs while gamma's own clusters (format 1, born in its current epoch) are overwritten in place
            Volume g = pool.volume("gamma");
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                Random w = new Random(3);
                try {
                    while (!stop.get()) {
                        int at = w.nextInt(GAMMA_OWN_LENGTH / 512 - 8) * 512;
                        byte[] b = TestData.bytes(TestData.pattern(w.nextLong(), at, 8 * 512));
                        synchronized (gamma) {
                            g.write(GAMMA_OWN + at, ByteBuffer.wrap(b));
                            System.arraycopy(b, 0, gamma, at, b.length);
                        }
                    }
                } catch (Throwable t) {
                    failed.set(t);
                }
            });
            writer.start();
            ScrubStatus done;
            try {
                pool.upgrade(2L << 20);   // about 2 s for the fixture's 4 MiB
                done = pool.awaitScrub(Duration.ofMinutes(1));
            } finally {
                stop.set(true);
                writer.join();
            }
            assertEquals(null, failed.get());
            assertEquals(State.DONE, done.state(), done.toString());
            assertEquals(ScrubStatus.Mode.UPGRADE, done.mode());
            assertEquals(clusters, done.clustersUpgraded());
            assertEquals(0, done.damagedBlocks());
            assertEquals(0, pool.integrity().unverifiedClusters());
            assertGammaIs(pool, gamma);
            ScrubStatus scrub = pool.scrub(0);
            scrub = pool.awaitScrub(Duration.ofMinutes(1));
            assertEquals(clusters, scrub.clustersChecked(), "every cluster is verified now");
            assertEquals(0, scrub.clustersUnverified());
            assertEquals(0, scrub.damagedBlocks());
            assertEquals(List.of(), pool.verify());
        }
        try (Pool pool = Pool.open(poolDir)) {
            assertEquals(0, pool.integrity().unverifiedClusters(), "the upgrade is durable");
            assertGammaIs(pool, gamma);
        }
        // every read is verified now: the head, a snapshot-only block, an NFS file volume
        long head = Format1Fixture.find(poolDir, "alpha", 2, 0x10000);
        long snapshotOnly = Format1Fixture.find(poolDir, "alpha", 1, 0x10000);
        long beta = Format1Fixture.find(poolDir, "beta", 1, 0x50000);
        for (long p : new long[] {head, snapshotOnly, beta}) {
            TaggedBlocks.corrupt(poolDir.resolve("data"), p, false, new Random(p));
        }
        try (Pool pool = Pool.open(poolDir)) {
            assertThrows(DataCorruptionException.class, () -> pool.volume("alpha").read(0x10000, ByteBuffer.allocate(4096)));
            assertThrows(DataCorruptionException.class, () -> pool.volume("alpha").snapshot("s1").read(0x10000, ByteBuffer.allocate(4096)));
            assertThrows(DataCorruptionException.class, () -> pool.volume("beta").read(0x50000, ByteBuffer.allocate(4096)));
            pool.scrub(0);
            assertEquals(3, pool.awaitScrub(Duration.ofMinutes(1)).damagedBlocks());
        }
    }

    private static void assertGammaIs(Pool pool, byte[] expected) {
        byte[] got = new byte[expected.length];
        pool.volume("gamma").read(GAMMA_OWN, ByteBuffer.wrap(got));
        assertArrayEquals(expected, got, "gamma's own clusters hold the last writes");
    }
}
