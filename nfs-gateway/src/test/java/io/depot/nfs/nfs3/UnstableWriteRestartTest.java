package io.depot.nfs.nfs3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.NfsGatewaySettings;
import io.depot.nfs.fs.Datastore;
import io.depot.nfs.portmap.PortAdvertiser;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RFC 1813 §3.3.7: a server restart in a stream of UNSTABLE writes changes the write verifier,
 * and nothing a COMMIT acknowledged is lost. The "client" keeps what it wrote since its last
 * COMMIT, sees the new verifier and resends it, as a real client must.
 */
class UnstableWriteRestartTest {
    @TempDir
    Path tmp;

    private NfsGateway start(Pool pool) {
        InetAddress lo = InetAddress.getLoopbackAddress();
        return NfsGateway.start(pool, new NfsGatewaySettings(lo, 0, new PortAdvertiser.Config(lo, 0, tmp.resolve("none.sock")),
                List.of(NfsExport.of("/depot"))));
    }

    @Test
    void committedDataSurvivesARestartAndTheVerifierTellsTheClientToResend() throws IOException {
        Pool pool = Pool.create(tmp.resolve("pool"), PoolOptions.ofCapacity(1L << 30));
        NfsGateway gw = start(pool);
        NfsTestClient c = new NfsTestClient(gw.address(), null);
        byte[] root = c.mount("/depot");
        byte[] fh = c.create(root, "stream.bin");
        Random rnd = new Random(11);
        int chunk = 32 * 1024 + 7; // unaligned, so edges take the read-modify-write path
        int chunks = 40;
        byte[] expected = new byte[chunk * chunks];
        rnd.nextBytes(expected);
        long verifier = 0;
        int committedChunks = 0;
        for (int i = 0; i < 30; i++) {
            NfsTestClient.Written w = c.write(fh, (long) i * chunk, Arrays.copyOfRange(expected, i * chunk, (i + 1) * chunk), Nfs3.UNSTABLE);
            assertEquals(Nfs3.OK, w.status());
            assertEquals(Nfs3.UNSTABLE, w.committed());
            verifier = w.verifier();
            if (i == 19) {
                assertEquals(verifier, c.commit(fh), "COMMIT answers with the same verifier: chunks 0-19 are stable");
                committedChunks = 20;
            }
        }
        assertEquals(20, committedChunks);

        // the gateway restarts (close, pool closed and reopened) with chunks 20-29 never committed
        c.close();
        gw.close();
        pool.close();
        pool = Pool.open(tmp.resolve("pool"));
        gw = start(pool);
        c = new NfsTestClient(gw.address(), null);
        root = c.mount("/depot");
        fh = c.lookup(root, "stream.bin");

        // everything acknowledged by COMMIT is there
        for (int i = 0; i < committedChunks; i++) {
            assertArrayEquals(Arrays.copyOfRange(expected, i * chunk, (i + 1) * chunk), c.read(fh, (long) i * chunk, chunk), "chunk " + i);
        }
        // the next write shows a new verifier: the client resends 20-29 and goes on
        NfsTestClient.Written probe = c.write(fh, 30L * chunk, Arrays.copyOfRange(expected, 30 * chunk, 31 * chunk), Nfs3.UNSTABLE);
        assertNotEquals(verifier, probe.verifier(), "a restarted server has a new write verifier");
        for (int i = 20; i < chunks; i++) {
            c.write(fh, (long) i * chunk, Arrays.copyOfRange(expected, i * chunk, (i + 1) * chunk), Nfs3.UNSTABLE);
        }
        assertEquals(probe.verifier(), c.commit(fh));
        assertEquals(expected.length, c.getattr(fh).size());
        for (int i = 0; i < chunks; i++) {
            assertArrayEquals(Arrays.copyOfRange(expected, i * chunk, (i + 1) * chunk), c.read(fh, (long) i * chunk, chunk), "chunk " + i);
        }
        c.close();
        gw.close();
        pool.close();
    }

    /** Crash variant: the datastore is never closed, so uncommitted sizes are not stored; committed data still is. */
    @Test
    void aCrashKeepsWhatCommitAcknowledged() throws IOException {
        Pool pool = Pool.create(tmp.resolve("pool2"), PoolOptions.ofCapacity(1L << 30));
        Datastore ds = Datastore.open(pool);
        long dir = ds.resolve("/").ino();
        var f = ds.create(io.depot.nfs.fs.Caller.ROOT, dir, "f", io.depot.nfs.fs.SetAttributes.NONE,
                io.depot.nfs.fs.VirtualFileSystem.CreateMode.GUARDED, 0).object();
        byte[] a = new byte[10_000];
        new Random(2).nextBytes(a);
        ds.write(io.depot.nfs.fs.Caller.ROOT, f.ino(), 0, java.nio.ByteBuffer.wrap(a), io.depot.nfs.fs.Stability.UNSTABLE);
        ds.commit(f.ino());
        ds.write(io.depot.nfs.fs.Caller.ROOT, f.ino(), 10_000, java.nio.ByteBuffer.wrap(new byte[5000]), io.depot.nfs.fs.Stability.UNSTABLE);
        pool.close(); // no ds.close(): the uncommitted extension's size is lost, as in a crash
        pool = Pool.open(tmp.resolve("pool2"));
        ds = Datastore.open(pool);
        assertEquals(10_000, ds.getattr(f.ino()).size());
        var r = ds.read(io.depot.nfs.fs.Caller.ROOT, f.ino(), 0, 20_000);
        byte[] got = new byte[r.data().remaining()];
        r.data().get(got);
        assertArrayEquals(a, got);
        assertTrue(r.eof());
        ds.close();
        pool.close();
    }
}
