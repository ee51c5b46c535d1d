package io.depot.nfs.nfs3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.NfsGatewaySettings;
import io.depot.nfs.mount.MountStatus;
import io.depot.nfs.portmap.PortAdvertiser;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-export client rules and squashing, enforced on MOUNT and on every NFS call, stored across
 * restarts; no way out of an export. Client B binds 127.0.0.2 (on Linux all of 127/8 is loopback).
 */
class ExportRulesTest {
    private static final InetSocketAddress B = new InetSocketAddress("127.0.0.2", 0);
    @TempDir
    Path tmp;
    private Pool pool;
    private NfsGateway gw;
    private NfsTestClient a;
    private NfsTestClient b;

    @BeforeEach
    void start() throws IOException {
        pool = Pool.create(tmp.resolve("pool"), PoolOptions.ofCapacity(1L << 30));
        open(List.of(NfsExport.of("/open"),
                NfsExport.of("/restricted").withRules(List.of(ClientRule.rw("127.0.0.1"))),
                NfsExport.of("/mixed").withRules(List.of(ClientRule.ro("127.0.0.2"), ClientRule.rw("127.0.0.0/8"))),
                NfsExport.of("/squashed").withSquash(NfsExport.Squash.ROOT, 4000, 4001),
                NfsExport.of("/everyone-anon").withSquash(NfsExport.Squash.ALL, 5000, 5001)));
    }

    private void open(List<NfsExport> exports) throws IOException {
        InetAddress lo = InetAddress.getByName("0.0.0.0");
        gw = NfsGateway.start(pool, new NfsGatewaySettings(lo, 0,
                new PortAdvertiser.Config(InetAddress.getLoopbackAddress(), 0, tmp.resolve("no-rpcbind.sock")), exports));
        InetSocketAddress server = new InetSocketAddress("127.0.0.1", gw.address().getPort());
        a = new NfsTestClient(server, null);
        b = new NfsTestClient(server, B);
    }

    private void restart() throws IOException {
        a.close();
        b.close();
        gw.close();
        pool.close();
        pool = Pool.open(tmp.resolve("pool"));
        open(List.of(NfsExport.of("/open")));
    }

    @AfterEach
    void stop() {
        a.close();
        b.close();
        gw.close();
        pool.close();
    }

    @Test
    void aDeniedHostCannotMountNorUseAHandleItGotElsewhere() throws IOException {
        byte[] root = a.mount("/restricted");
        assertNotNull(root);
        byte[] f = a.create(root, "secret");
        a.write(f, 0, new byte[] {42}, Nfs3.FILE_SYNC);

        assertNull(b.mount("/restricted"));
        assertEquals(MountStatus.ACCES.code(), b.lastStatus);
        assertNull(b.read(f, 0, 10));
        assertEquals(Nfs3.ERR_ACCES, b.lastStatus);
        assertNull(b.getattr(root));
        assertEquals(Nfs3.ERR_ACCES, b.lastStatus);
        assertNotNull(b.mount("/open"), "other exports are unaffected");
    }

    @Test
    void readOnlyRuleForOneHostReadWriteForTheRest() throws IOException {
        byte[] ra = a.mount("/mixed");
        byte[] f = a.create(ra, "file");
        assertNotNull(f);
        byte[] rb = b.mount("/mixed");
        assertNotNull(rb);
        assertNull(b.create(rb, "nope"));
        assertEquals(Nfs3.ERR_ROFS, b.lastStatus);
        assertEquals(Nfs3.ERR_ROFS, b.write(f, 0, new byte[1], Nfs3.FILE_SYNC).status());
        assertNotNull(b.read(f, 0, 1), "reading is allowed");
    }

    @Test
    void squashingMapsRootOrEveryoneToTheAnonymousIds() throws IOException {
        byte[] sq = a.mount("/squashed");
        gw.datastore().setattr(io.depot.nfs.fs.Caller.ROOT, gw.datastore().resolve("/squashed").ino(),
                new io.depot.nfs.fs.SetAttributes(0777, null, null, null, null, null), null);
        byte[] f = a.create(sq, "by-root");
        assertEquals(4000, a.getattr(f).uid(), "root_squash");
        a.as(1234, 1234);
        assertEquals(1234, a.getattr(a.create(sq, "by-user")).uid(), "others stay themselves");

        byte[] all = a.mount("/everyone-anon");
        gw.datastore().setattr(io.depot.nfs.fs.Caller.ROOT, gw.datastore().resolve("/everyone-anon").ino(),
                new io.depot.nfs.fs.SetAttributes(0777, null, null, null, null, null), null);
        assertEquals(5000, a.getattr(a.create(all, "x")).uid(), "all_squash");
    }

    @Test
    void noWayOutOfAnExport() throws IOException {
        byte[] open = a.mount("/open");
        byte[] restricted = a.mount("/restricted");
        assertArrayEquals(open, a.lookup(open, ".."), "'..' of an export root is itself");
        assertArrayEquals(open, a.lookup(a.lookup(open, "."), ".."));
        List<String> names = a.list(open);
        assertEquals(List.of(".", ".."), names);

        // a handle of /restricted relabelled as /open's (or any altered handle) is not ours
        byte[] forged = restricted.clone();
        ByteBuffer.wrap(forged).putInt(1, ByteBuffer.wrap(open).getInt(1));
        assertNull(b.getattr(forged));
        assertEquals(Nfs3.ERR_BADHANDLE, b.lastStatus);
        byte[] bumped = open.clone();
        bumped[12] ^= 1;
        assertNull(a.getattr(bumped));
        assertEquals(Nfs3.ERR_BADHANDLE, a.lastStatus);
        // cross-export rename and link
        byte[] f = a.create(open, "f");
        var r = a.call(Nfs3.PROC_RENAME, w -> w.writeOpaque(open).writeString("f").writeOpaque(restricted).writeString("g"));
        assertEquals(Nfs3.ERR_XDEV, r.readInt());
        var l = a.call(Nfs3.PROC_LINK, w -> w.writeOpaque(f).writeOpaque(restricted).writeString("g"));
        assertEquals(Nfs3.ERR_XDEV, l.readInt());
    }

    @Test
    void rulesChangedAtRunTimeHoldAfterARestart() throws IOException {
        assertNotNull(b.mount("/open"));
        gw.putExport(NfsExport.of("/open").withRules(List.of(ClientRule.rw("127.0.0.1/32"))));
        assertNull(b.mount("/open"));
        restart(); // configured again as open to everyone: the stored rules win
        assertEquals(List.of(ClientRule.rw("127.0.0.1/32")), gw.exports().stream()
                .filter(e -> e.path().equals("/open")).findFirst().orElseThrow().rules());
        assertNull(b.mount("/open"));
        assertEquals(MountStatus.ACCES.code(), b.lastStatus);
        assertNotNull(a.mount("/open"));
        assertNotNull(a.mount("/squashed"), "exports added earlier are stored too");
        gw.removeExport("/squashed");
        assertNull(a.mount("/squashed"));
    }
}
