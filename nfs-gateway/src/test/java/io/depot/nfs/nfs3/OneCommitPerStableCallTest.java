package io.depot.nfs.nfs3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.CommitCounters;
import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.PoolTuning;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.NfsGatewaySettings;
import io.depot.nfs.portmap.PortAdvertiser;
import io.depot.nfs.xdr.XdrReader;
import java.io.IOException;
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
 * One durability authority: a stable WRITE, a COMMIT, a CREATE (the kernel client's EXCLUSIVE one with
 * its SETATTR too) and a REMOVE, sent as real RPCs to
 * the gateway, each cost exactly one commit of the pool, which makes the data (if any), its
 * mappings and the inode durable together: one WAL sync, and one data-file sync only when file
 * data was written. The pool's background commit is pushed out of the way (an hour) so that the
 * only commits are the ones the calls ask for.
 */
class OneCommitPerStableCallTest {
    private static final PoolTuning NO_TICKER = new PoolTuning(64L << 20, TimeUnit.HOURS.toMillis(1), true);
    private static final int KERNEL_CREATES = 40;

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

    /**
     * The synchronous procedures (RFC 1813 §1.6) are answered only after their commit: the commit
     * that covers a change staged after a ticket was read is durable when the reply arrives, with no
     * waiting by the test. An exclusive create's SETATTR between them, answered before its commit,
     * must leave the next REMOVE just as synchronous.
     */
    @Test
    void createAndRemoveAreAnsweredOnlyOnceDurable() throws Exception {
        for (int i = 0; i < 20; i++) {
            String name = "sync" + i;
            // the commit that will cover a change staged from now on: durable when its reply arrives
            long covering = pool.catalog().ticket();
            byte[] fh = createExclusive(name, 0x4242_0000_0000_0000L | i);
            assertTrue(pool.catalog().isDurable(covering), "CREATE answered before its commit");
            long setattr = pool.catalog().ticket();
            setModeAndTimes(fh);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (!pool.catalog().isDurable(setattr) && System.nanoTime() < deadline) {
                Thread.sleep(1); // the SETATTR's own commit, so that it cannot pass for the REMOVE's
            }
            assertTrue(pool.catalog().isDurable(setattr), "the SETATTR made durable soon after its reply");
            covering = pool.catalog().ticket();
            assertEquals(Nfs3.OK, client.remove(root, name));
            assertTrue(pool.catalog().isDurable(covering), "REMOVE answered before its commit");
        }
    }

    @Test
    void aCreateAndARemovePayOneCommitWithoutADataSync() throws Exception {
        CommitCounters create = committedBy(1, () -> assertNotNull(client.create(root, "g")));
        assertEquals(new CommitCounters(1, 0, 1), create, "CREATE: one commit, one WAL sync, no data to sync");
        CommitCounters remove = committedBy(1, () -> assertEquals(Nfs3.OK, client.remove(root, "g")));
        assertEquals(new CommitCounters(1, 0, 1), remove, "REMOVE of a file without data: one commit, one WAL sync");
    }

    private byte[] createExclusive(String name, long verifier) throws IOException {
        XdrReader r = client.call(Nfs3.PROC_CREATE, w -> w.writeOpaque(root).writeString(name).writeInt(Nfs3.EXCLUSIVE).writeHyper(verifier));
        assertEquals(Nfs3.OK, r.readInt(), "CREATE EXCLUSIVE " + name);
        assertTrue(r.readBoolean(), "a handle");
        return r.readOpaque(64);
    }

    private void setModeAndTimes(byte[] fh) throws IOException {
        long now = System.currentTimeMillis();
        XdrReader r = client.call(Nfs3.PROC_SETATTR, a -> {
            a.writeOpaque(fh);
            a.writeBoolean(true).writeInt(0644); // mode
            a.writeBoolean(false).writeBoolean(false).writeBoolean(false); // uid, gid, size
            a.writeInt(2).writeInt((int) (now / 1000)).writeInt(0); // atime: SET_TO_CLIENT_TIME
            a.writeInt(2).writeInt((int) (now / 1000)).writeInt(0); // mtime
            a.writeBoolean(false); // no guard
        });
        assertEquals(Nfs3.OK, r.readInt(), "SETATTR");
    }

    private static long median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /**
     * What the Linux client sends for open(O_CREAT|O_EXCL): CREATE EXCLUSIVE with a verifier, then
     * SETATTR of the mode and of atime/mtime (the verifier was kept in them). The CREATE is durable
     * before its reply (RFC 1813 §1.6); the SETATTR, not one of the synchronous procedures, is
     * answered at once and its commit started then: one commit per call, two per file, nothing
     * more, and the SETATTR's round trip (printed, against a GETATTR's) holds no commit.
     */
    @Test
    void anExclusiveCreateAndItsSetattrPayOneCommitEach() throws Exception {
        long[] create = new long[KERNEL_CREATES];
        long[] setattr = new long[KERNEL_CREATES];
        long[] getattr = new long[KERNEL_CREATES];
        for (int i = 0; i < KERNEL_CREATES; i++) {
            String name = "f" + i;
            long verifier = 0x1234_5678_0000_0000L | i;
            byte[][] fh = new byte[1][];
            int at = i;
            CommitCounters c = committedBy(1, () -> {
                long t0 = System.nanoTime();
                fh[0] = createExclusive(name, verifier);
                create[at] = System.nanoTime() - t0;
            });
            assertEquals(new CommitCounters(1, 0, 1), c, "CREATE EXCLUSIVE of " + name + ": one commit");
            CommitCounters s = committedBy(1, () -> {
                long t0 = System.nanoTime();
                setModeAndTimes(fh[0]);
                setattr[at] = System.nanoTime() - t0;
            });
            assertEquals(new CommitCounters(1, 0, 1), s, "its SETATTR: one commit, made right after the reply");
            long t0 = System.nanoTime();
            NfsTestClient.Attr a = client.getattr(fh[0]);
            getattr[i] = System.nanoTime() - t0;
            assertEquals(0644, a.mode() & 07777, "the mode SETATTR gave");
        }
        System.err.printf("kernel create sequence, medians of %d: CREATE EXCLUSIVE %d us, SETATTR %d us, GETATTR %d us%n",
                KERNEL_CREATES, median(create) / 1000, median(setattr) / 1000, median(getattr) / 1000);
    }
}
