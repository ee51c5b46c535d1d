package io.depot.nfs.nfs3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.NfsGatewaySettings;
import io.depot.nfs.fs.Datastore;
import io.depot.nfs.fs.FsException;
import io.depot.nfs.portmap.PortAdvertiser;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Export snapshots under .snapshots/ and file clones, over a socket against a real pool, across a restart. */
class ExportSnapshotTest {
    @TempDir
    Path tmp;
    private Pool pool;
    private NfsGateway gw;
    private NfsTestClient c;
    private byte[] root;

    @BeforeEach
    void start() throws IOException {
        pool = Pool.create(tmp.resolve("pool"), PoolOptions.ofCapacity(1L << 30));
        open();
    }

    private void open() throws IOException {
        InetAddress lo = InetAddress.getLoopbackAddress();
        gw = NfsGateway.start(pool, new NfsGatewaySettings(lo, 0, new PortAdvertiser.Config(lo, 0, tmp.resolve("no-rpcbind.sock")),
                List.of(NfsExport.of("/depot"), NfsExport.of("/other"))));
        c = new NfsTestClient(gw.address(), null);
        root = c.mount("/depot");
    }

    private void restart() throws IOException {
        c.close();
        gw.close();
        pool.close();
        pool = Pool.open(tmp.resolve("pool"));
        open();
    }

    @AfterEach
    void stop() {
        c.close();
        gw.close();
        pool.close();
    }

    private static byte[] bytes(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    @Test
    void subdirectoriesAndSnapshotsMountDirectlyButNothingOutsideTheExport() throws IOException {
        byte[] vms = c.mkdir(root, "vms");
        byte[] disk = c.create(vms, "disk.img");
        c.write(disk, 0, bytes("live bytes"), Nfs3.FILE_SYNC);
        gw.createExportSnapshot("/depot", "s1");
        c.write(disk, 0, bytes("newer!!!!!"), Nfs3.FILE_SYNC);

        // what libnfs and QEMU do for nfs://host/depot/vms/disk.img: mount the file's directory
        byte[] mounted = c.mount("/depot/vms");
        assertNotNull(mounted, "status " + c.lastStatus);
        assertArrayEquals(bytes("newer!!!!!"), c.read(c.lookup(mounted, "disk.img"), 0, 10));
        byte[] frozen = c.mount("/depot/.snapshots/s1/vms");
        assertNotNull(frozen, "status " + c.lastStatus);
        assertArrayEquals(bytes("live bytes"), c.read(c.lookup(frozen, "disk.img"), 0, 10));
        assertEquals(Nfs3.ERR_ROFS, c.write(c.lookup(frozen, "disk.img"), 0, new byte[1], Nfs3.FILE_SYNC).status());

        for (String outside : new String[] {"/depot/nope", "/depot/vms/disk.img", "/depot/..", "/depot/vms/../../other",
                "/depotx/vms", "/elsewhere/vms"}) {
            assertNull(c.mount(outside), outside);
            assertEquals(2, c.lastStatus, outside + ": MNT3ERR_NOENT");
        }
    }

    @Test
    void snapshotFreezesEveryFileOfTheExportReadOnlyWithStableHandles() throws IOException {
        byte[] dir = c.mkdir(root, "vm1");
        byte[] disk = c.create(dir, "disk.img");
        byte[] data = new byte[70_000];
        new Random(3).nextBytes(data);
        c.write(disk, 0, data, Nfs3.UNSTABLE); // not committed: the snapshot still has it (it is what clients saw)
        byte[] log = c.create(root, "log.txt");
        c.write(log, 0, bytes("before"), Nfs3.FILE_SYNC);

        gw.createExportSnapshot("/depot", "s1");
        assertEquals(List.of("s1"), gw.listExportSnapshots("/depot").stream().map(s -> s.name()).toList());

        // the live export moves on
        c.write(disk, 0, new byte[4096], Nfs3.FILE_SYNC);
        c.write(log, 0, bytes("after!"), Nfs3.FILE_SYNC);
        assertEquals(Nfs3.OK, c.remove(root, "log.txt"));
        c.create(root, "new-file");

        byte[] snaps = c.lookup(root, ".snapshots");
        assertNotNull(snaps);
        assertEquals(List.of(".", "..", "s1"), c.list(snaps));
        assertTrue(!c.list(root).contains(".snapshots"), "the snapshot directory is not listed");
        byte[] s1 = c.lookup(snaps, "s1");
        assertEquals(List.of(".", "..", "vm1", "log.txt"), c.list(s1));
        byte[] frozenDisk = c.lookup(c.lookup(s1, "vm1"), "disk.img");
        assertEquals(70_000, c.getattr(frozenDisk).size());
        assertArrayEquals(data, readAll(frozenDisk, 70_000));
        assertArrayEquals(bytes("before"), c.read(c.lookup(s1, "log.txt"), 0, 100));
        assertNotEquals(c.getattr(disk).fileid(), c.getattr(frozenDisk).fileid(), "snapshot objects have their own fileids");

        // everything that changes answers ROFS
        assertEquals(Nfs3.ERR_ROFS, c.write(frozenDisk, 0, new byte[10], Nfs3.FILE_SYNC).status());
        assertEquals(null, c.create(s1, "x"));
        assertEquals(Nfs3.ERR_ROFS, c.lastStatus);
        assertEquals(Nfs3.ERR_ROFS, c.remove(s1, "log.txt"));
        assertEquals(null, c.mkdir(snaps, "s2"));
        assertEquals(Nfs3.ERR_ROFS, c.lastStatus);
        assertEquals(null, c.create(root, ".snapshots"));
        assertEquals(Nfs3.ERR_EXIST, c.lastStatus);

        // ".." climbs snapshot root -> .snapshots -> export root, never above
        assertArrayEquals(snaps, c.lookup(s1, ".."));
        assertArrayEquals(root, c.lookup(snaps, ".."));
        assertArrayEquals(root, c.lookup(root, ".."));

        // handles survive a restart
        restart();
        assertArrayEquals(data, readAll(frozenDisk, 70_000));
        assertArrayEquals(snaps, c.lookup(root, ".snapshots"));

        gw.deleteExportSnapshot("/depot", "s1");
        assertEquals(Nfs3.ERR_STALE, c.getattr(frozenDisk) == null ? c.lastStatus : -1);
        assertEquals(List.of(".", ".."), c.list(snaps));
        assertEquals(Nfs3.ERR_NOENT, c.lookup(snaps, "s1") == null ? c.lastStatus : -1);
        // the removed log.txt's volume went with the last snapshot that needed it
        restart();
        assertEquals(1, pool.volumes().stream().filter(v -> v.name().startsWith("nfs.")).count(),
                "disk.img only: new-file was never written, so it has no volume");
        assertTrue(pool.volumes().stream().allMatch(v -> v.snapshots().isEmpty()));
    }

    private byte[] readAll(byte[] fh, int size) throws IOException {
        byte[] out = new byte[size];
        for (int off = 0; off < size; ) {
            byte[] part = c.read(fh, off, 32768);
            System.arraycopy(part, 0, out, off, part.length);
            off += part.length;
        }
        return out;
    }

    @Test
    void snapshotOfOneExportIsNotReachableFromAnother() throws IOException {
        c.create(root, "a");
        gw.createExportSnapshot("/depot", "s");
        byte[] other = c.mount("/other");
        byte[] otherSnaps = c.lookup(other, ".snapshots");
        assertEquals(List.of(".", ".."), c.list(otherSnaps));
        assertEquals(null, c.lookup(otherSnaps, "s"));
        assertEquals(Nfs3.ERR_NOENT, c.lastStatus);
        assertThrows(FsException.Exists.class, () -> gw.createExportSnapshot("/depot", "s"));
    }

    @Test
    void linkedAndFullClonesAreIndependentCopies() throws IOException {
        byte[] src = c.create(root, "golden.img");
        byte[] data = new byte[100_000];
        new Random(5).nextBytes(data);
        c.write(src, 0, data, Nfs3.UNSTABLE);
        gw.cloneFile("/depot/golden.img", "/depot/linked.img", Datastore.CloneMode.LINKED);
        gw.cloneFile("/depot/golden.img", "/depot/full.img", Datastore.CloneMode.FULL);
        c.write(src, 0, new byte[512], Nfs3.FILE_SYNC);
        for (String name : List.of("linked.img", "full.img")) {
            byte[] fh = c.lookup(root, name);
            assertEquals(100_000, c.getattr(fh).size());
            assertArrayEquals(data, readAll(fh, 100_000), name);
            c.write(fh, 100, bytes("mine"), Nfs3.FILE_SYNC);
        }
        byte[] golden = readAll(src, 100_000);
        assertEquals(0, golden[100], "a clone's writes do not reach the source");
        // the source can go while the linked clone reads through it; the clone keeps its data
        assertEquals(Nfs3.OK, c.remove(root, "golden.img"));
        restart();
        byte[] linked = c.lookup(root, "linked.img");
        byte[] expect = data.clone();
        System.arraycopy(bytes("mine"), 0, expect, 100, 4);
        assertArrayEquals(expect, readAll(linked, 100_000));
        assertEquals(Nfs3.OK, c.remove(root, "linked.img"));
        assertEquals(Nfs3.OK, c.remove(root, "full.img"));
        restart();
        assertEquals(0, pool.volumes().stream().filter(v -> v.name().startsWith("nfs.")).count(), "nothing left behind");
        assertThrows(FsException.Invalid.class, () -> gw.cloneFile("/depot", "/x", Datastore.CloneMode.LINKED));
    }
}
