package io.depot.nfs.nfs3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.NfsGatewaySettings;
import io.depot.nfs.fs.Caller;
import io.depot.nfs.fs.Datastore;
import io.depot.nfs.fs.FileType;
import io.depot.nfs.fs.SetAttributes;
import io.depot.nfs.fs.VirtualFileSystem.CreateMode;
import io.depot.nfs.portmap.PortAdvertiser;
import io.depot.nfs.xdr.XdrReader;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * READDIR and READDIRPLUS over a directory of 100 000 entries (the size), made through
 * the datastore API and listed through the NFS program with small and large reply sizes: every
 * name comes back exactly once, cookies strictly increase, the cookie verifier stays the same
 * through a listing, a resumed listing with a wrong verifier is NFS3ERR_BAD_COOKIE and one with
 * the right verifier (or zero) resumes where it stopped, also after entries around the resume
 * point were removed. Prints the create rate (one synced settings batch per create) and the
 * listing rates.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LargeDirectoryTest {
    private static final int ENTRIES = 100_000;
    private static final int NF3FIFO = 7;

    @TempDir
    static Path tmp;
    private Path shmDir;
    private Pool pool;
    private NfsGateway gw;
    private NfsTestClient client;
    private byte[] bigHandle;

    /**
     * The 100 000 entries go into a pool on tmpfs: each create is one synced settings batch, and
     * on this machine's disk that sync alone holds creates to about 900/s (see
     * {@link #createRateOnDisk}), which would make this test take minutes.
     */
    @BeforeAll
    void makeTheDirectory() throws IOException {
        Path shm = Path.of("/dev/shm");
        assertTrue(Files.isDirectory(shm), "this test needs tmpfs at /dev/shm");
        shmDir = Files.createTempDirectory(shm, "depot-largedir-");
        pool = Pool.create(shmDir.resolve("pool"), PoolOptions.ofCapacity(1L << 30));
        InetAddress lo = InetAddress.getLoopbackAddress();
        gw = NfsGateway.start(pool, new NfsGatewaySettings(lo, 0, new PortAdvertiser.Config(lo, 0, tmp.resolve("no-rpcbind.sock")),
                List.of(NfsExport.of("/depot"))));
        Datastore ds = gw.datastore();
        long exportRoot = ds.resolve("/depot").ino();
        long big = ds.mkdir(Caller.ROOT, exportRoot, "big", SetAttributes.NONE).object().ino();

        // FIFOs: a namespace entry without a volume
        long t0 = System.nanoTime();
        for (int i = 0; i < ENTRIES; i++) {
            ds.mknod(Caller.ROOT, big, name(i), FileType.FIFO, 0, 0, SetAttributes.NONE);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("LargeDirectoryTest: %d FIFO creates on tmpfs in %.1f s = %.0f creates/s%n", ENTRIES, secs, ENTRIES / secs);

        client = new NfsTestClient(gw.address(), null);
        byte[] root = client.mount("/depot");
        bigHandle = client.lookup(root, "big");
        assertNotNull(bigHandle);
    }

    @AfterAll
    void stop() throws IOException {
        if (client != null) {
            client.close();
        }
        if (gw != null) {
            gw.close();
        }
        if (pool != null) {
            pool.close();
        }
        if (shmDir != null) {
            try (var walk = Files.walk(shmDir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /** The create rate on the real disk, namespace only (FIFOs) and with a volume (regular files): printed, a performance figure. */
    @Test
    void createRateOnDisk() {
        try (Pool disk = Pool.create(tmp.resolve("disk-pool"), PoolOptions.ofCapacity(1L << 30));
             Datastore ds = Datastore.open(disk)) {
            long dir = ds.mkdir(Caller.ROOT, Datastore.ROOT, "d", SetAttributes.NONE).object().ino();
            int fifos = 2000;
            long t0 = System.nanoTime();
            for (int i = 0; i < fifos; i++) {
                ds.mknod(Caller.ROOT, dir, "p" + i, FileType.FIFO, 0, 0, SetAttributes.NONE);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf("LargeDirectoryTest: %d FIFO creates on disk in %.2f s = %.0f creates/s (one synced batch each)%n",
                    fifos, secs, fifos / secs);
            int files = 300;
            t0 = System.nanoTime();
            for (int i = 0; i < files; i++) {
                ds.create(Caller.ROOT, dir, "f" + i, SetAttributes.NONE, CreateMode.GUARDED, 0);
            }
            secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf("LargeDirectoryTest: %d regular-file creates on disk in %.2f s = %.0f creates/s (namespace + volume)%n",
                    files, secs, files / secs);
            assertEquals(fifos + files + 2, ds.readdir(Caller.ROOT, dir, 0, 10_000, false).entries().size());
        }
    }

    /** Names of varying length (entry-0 .. entry-99999 plus a tail of up to 40 characters) so that pages break at odd places. */
    private static String name(int i) {
        return "entry-" + i + "-" + "x".repeat(i % 41);
    }

    private record Entry(String name, long cookie, boolean withAttributesAndHandle) {}

    private record Page(int status, long verifier, List<Entry> entries, boolean eof) {}

    private Page readdir(long cookie, long verifier, int count) throws IOException {
        return page(client.call(Nfs3.PROC_READDIR, a -> a.writeOpaque(bigHandle).writeHyper(cookie).writeHyper(verifier).writeInt(count)),
                false);
    }

    private Page readdirplus(long cookie, long verifier, int dircount, int maxcount) throws IOException {
        return page(client.call(Nfs3.PROC_READDIRPLUS,
                a -> a.writeOpaque(bigHandle).writeHyper(cookie).writeHyper(verifier).writeInt(dircount).writeInt(maxcount)), true);
    }

    /** READDIR3res, or READDIRPLUS3res ({@code plus}: each entry's attributes and handle read and checked too). */
    private static Page page(XdrReader r, boolean plus) {
        int status = r.readInt();
        NfsTestClient.postOp(r);
        if (status != Nfs3.OK) {
            return new Page(status, 0, List.of(), false);
        }
        long verf = r.readHyper();
        List<Entry> out = new java.util.ArrayList<>();
        while (r.readBoolean()) {
            r.readHyper();
            String n = r.readString(1024);
            long c = r.readHyper();
            boolean complete = false;
            if (plus) {
                NfsTestClient.Attr attr = NfsTestClient.postOp(r);
                byte[] fh = r.readBoolean() ? r.readOpaque(64) : null;
                complete = attr != null && fh != null
                        && (n.equals(".") || n.equals("..") || attr.type() == NF3FIFO);
            }
            out.add(new Entry(n, c, complete));
        }
        return new Page(status, verf, out, r.readBoolean());
    }

    private interface Pager {
        Page page(long cookie, long verifier) throws IOException;
    }

    /** Lists the whole directory; checks each name once, cookies increasing, one verifier, and every entry's extras. */
    private void listAll(String what, Pager pager, boolean plus) throws IOException {
        long t0 = System.nanoTime();
        Map<String, Integer> seen = new HashMap<>();
        long cookie = 0;
        long verifier = 0;
        long firstVerifier = 0;
        int calls = 0;
        while (true) {
            Page p = pager.page(cookie, verifier);
            calls++;
            assertEquals(Nfs3.OK, p.status(), what + " at cookie " + cookie);
            if (calls == 1) {
                firstVerifier = p.verifier();
            }
            assertEquals(firstVerifier, p.verifier(), what + ": the cookie verifier changed within one listing");
            assertTrue(!p.entries().isEmpty() || p.eof(), what + ": an empty page that is not the end");
            for (Entry e : p.entries()) {
                assertTrue(e.cookie() > cookie, what + ": cookie " + e.cookie() + " after " + cookie);
                cookie = e.cookie();
                seen.merge(e.name(), 1, Integer::sum);
                if (plus) {
                    assertTrue(e.withAttributesAndHandle(), what + ": " + e.name() + " without attributes or handle");
                }
            }
            verifier = p.verifier();
            if (p.eof()) {
                break;
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("LargeDirectoryTest: %s listed %d entries in %d calls, %.2f s%n", what, seen.size(), calls, secs);
        assertEquals(ENTRIES + 2, seen.size(), what + ": distinct names");
        for (int i = 0; i < ENTRIES; i++) {
            assertEquals(1, seen.getOrDefault(name(i), 0), what + ": " + name(i));
        }
        assertEquals(1, seen.get("."));
        assertEquals(1, seen.get(".."));
    }

    @Test
    void readdirWithSmallReplies() throws IOException {
        listAll("READDIR count 1024", (c, v) -> readdir(c, v, 1024), false);
    }

    @Test
    void readdirWithLargeReplies() throws IOException {
        listAll("READDIR count 1 MiB", (c, v) -> readdir(c, v, 1 << 20), false);
    }

    @Test
    void readdirplusWithSmallReplies() throws IOException {
        listAll("READDIRPLUS dircount 512 maxcount 4096", (c, v) -> readdirplus(c, v, 512, 4096), true);
    }

    @Test
    void readdirplusWithLargeReplies() throws IOException {
        listAll("READDIRPLUS dircount 64 KiB maxcount 1 MiB", (c, v) -> readdirplus(c, v, 64 << 10, 1 << 20), true);
    }

    @Test
    void aResumedListingNeedsTheRightVerifierAndSurvivesRemovals() throws IOException {
        Page first = readdir(0, 0, 8192);
        assertEquals(Nfs3.OK, first.status());
        assertTrue(!first.eof() && first.entries().size() > 10);
        Entry last = first.entries().get(first.entries().size() - 1);

        assertEquals(Nfs3.ERR_BAD_COOKIE, readdir(last.cookie(), first.verifier() ^ 1, 8192).status());
        assertEquals(Nfs3.ERR_BAD_COOKIE, readdirplus(last.cookie(), first.verifier() ^ 1, 4096, 32768).status());

        Page withVerifier = readdir(last.cookie(), first.verifier(), 8192);
        Page withZero = readdir(last.cookie(), 0, 8192);
        assertEquals(Nfs3.OK, withVerifier.status());
        assertEquals(withVerifier.entries(), withZero.entries(), "a zero verifier resumes the same way");
        assertTrue(withVerifier.entries().get(0).cookie() > last.cookie());
        assertTrue(first.entries().stream().noneMatch(withVerifier.entries()::contains), "no entry twice across the resume");

        // remove the entry the cookie names and the next one: the listing goes on after them, the verifier unchanged
        Entry next = withVerifier.entries().get(0);
        assertEquals(Nfs3.OK, client.remove(bigHandle, last.name()));
        assertEquals(Nfs3.OK, client.remove(bigHandle, next.name()));
        Page after = readdir(last.cookie(), first.verifier(), 8192);
        assertEquals(Nfs3.OK, after.status());
        assertEquals(first.verifier(), after.verifier());
        assertEquals(withVerifier.entries().get(1), after.entries().get(0));
        // put them back so the other listings see all 100 000
        Datastore ds = gw.datastore();
        long big = ds.resolve("/depot/big").ino();
        ds.mknod(Caller.ROOT, big, last.name(), FileType.FIFO, 0, 0, SetAttributes.NONE);
        ds.mknod(Caller.ROOT, big, next.name(), FileType.FIFO, 0, 0, SetAttributes.NONE);
    }
}
