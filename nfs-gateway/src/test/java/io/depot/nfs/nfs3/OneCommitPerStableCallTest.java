package io.depot.nfs.nfs3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.depot.engine.CommitCounters;
import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.PoolTuning;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.NfsGatewaySettings;
import io.depot.nfs.portmap.PortAdvertiser;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One durability authority: a stable WRITE, a COMMIT, a CREATE and a REMOVE, sent as real RPCs to
 * the gateway, each cost exactly one commit of the pool, which makes the data (if any), its
 * mappings and the inode durable together: one WAL sync, and one data-file sync only when file
 * data was written. The pool's background commit is pushed out of the way (an hour) so that the
 * only commits are the ones the calls ask for.
 */
class OneCommitPerStableCallTest {
    private static final PoolTuning NO_TICKER = new PoolTuning(64L << 20, TimeUnit.HOURS.toMillis(1), true);

    @TempDir
    Path tmp;
    /** The pool (its background commit an hour away), its gateway, and one client mounted on /depot. */
    private Pool pool;
    private NfsGateway gw;
    private NfsTestClient client;
    private byte[] root;

    @BeforeEach
    void start() throws Exception {
        pool = Pool.create(tmp.resolve("pool"), PoolOptions.ofCapacity(1L << 30), NO_TICKER);
        InetAddress lo = InetAddress.getLoopbackAddress();
        gw = NfsGateway.start(pool, new NfsGatewaySettings(lo, 0, new PortAdvertiser.Config(lo, 0, tmp.resolve("none.sock")),
                List.of(NfsExport.of("/depot"))));
        client = new NfsTestClient(gw.address(), null);
        root = client.mount("/depot");
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        gw.close();
        pool.close();
    }

    /** What the pool committed while {@code call} ran; waits for a commit counted just after its waiter was released. */
    private CommitCounters committedBy(int commits, ThrowingRunnable call) throws Exception {
        CommitCounters before = pool.catalog().commitCounters();
        call.run();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (pool.catalog().commitCounters().minus(before).commits() < commits && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        Thread.sleep(50); // a second commit, if the call made one, would show by now
        return pool.catalog().commitCounters().minus(before);
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void aStableWriteAndACommitPayOneCommitEachForDataMappingsAndInode() throws Exception {
        byte[] fh = client.create(root, "f");
        assertNotNull(fh);
        byte[] block = new byte[4096];
        Arrays.fill(block, (byte) 7);
        // the first write makes the file's volume and grows it: engine changes of their own, not measured
        assertEquals(Nfs3.OK, client.write(fh, 1 << 20, block, Nfs3.FILE_SYNC).status());

        for (int stable : new int[] {Nfs3.FILE_SYNC, Nfs3.DATA_SYNC}) {
            long offset = stable * 4096L;
            CommitCounters write = committedBy(1, () -> {
                NfsTestClient.Written w = client.write(fh, offset, block, stable);
                assertEquals(Nfs3.OK, w.status());
                assertEquals(Nfs3.FILE_SYNC, w.committed());
            });
            assertEquals(new CommitCounters(1, 1, 1), write, "stable write (" + stable + "): one commit, one data sync, one WAL sync");
        }

        assertEquals(Nfs3.OK, client.write(fh, 0, block, Nfs3.UNSTABLE).status());
        CommitCounters commit = committedBy(1, () -> client.commit(fh));
        assertEquals(new CommitCounters(1, 1, 1), commit, "COMMIT after an unstable write: the data and the inode in one commit");
        assertArrayEquals(block, client.read(fh, 0, 4096));
    }

    @Test
    void aCreateAndARemovePayOneCommitWithoutADataSync() throws Exception {
        CommitCounters create = committedBy(1, () -> assertNotNull(client.create(root, "g")));
        assertEquals(new CommitCounters(1, 0, 1), create, "CREATE: one commit, one WAL sync, no data to sync");
        CommitCounters remove = committedBy(1, () -> assertEquals(Nfs3.OK, client.remove(root, "g")));
        assertEquals(new CommitCounters(1, 0, 1), remove, "REMOVE of a file without data: one commit, one WAL sync");
    }
}
