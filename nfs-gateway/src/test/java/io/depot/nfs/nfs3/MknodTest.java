package io.depot.nfs.nfs3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.NfsGatewaySettings;
import io.depot.nfs.portmap.PortAdvertiser;
import io.depot.nfs.xdr.XdrReader;
import io.depot.nfs.xdr.XdrWriter;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MKNOD over the wire (RFC 1813 §3.3.11): sockets and FIFOs are made with the mode asked for;
 * character and block devices are refused with NFS3ERR_BADTYPE ("the server does not support the
 * target type"), for root as for anyone, leaving nothing behind; REG/DIR/LNK and unknown types
 * are NFS3ERR_BADTYPE too; every failure carries the directory's wcc data.
 */
class MknodTest {
    private static final int NF3REG = 1, NF3BLK = 3, NF3CHR = 4, NF3SOCK = 6, NF3FIFO = 7;

    @TempDir
    Path tmp;
    private Pool pool;
    private NfsGateway gw;
    private NfsTestClient client;
    private byte[] root;

    @BeforeEach
    void start() throws IOException {
        pool = Pool.create(tmp.resolve("pool"), PoolOptions.ofCapacity(1L << 30));
        InetAddress lo = InetAddress.getLoopbackAddress();
        gw = NfsGateway.start(pool, new NfsGatewaySettings(lo, 0, new PortAdvertiser.Config(lo, 0, tmp.resolve("no-rpcbind.sock")),
                List.of(NfsExport.of("/depot"))));
        client = new NfsTestClient(gw.address(), null);
        root = client.mount("/depot");
        assertNotNull(root);
    }

    @AfterEach
    void stop() {
        client.close();
        gw.close();
        pool.close();
    }

    private record Made(int status, byte[] handle, NfsTestClient.Attr attributes, boolean dirAfter) {}

    /** MKNOD with the union arm {@code type} calls for: devices carry sattr3 + specdata3, pipes sattr3, others nothing. */
    private Made mknod(String name, int type, int mode) throws IOException {
        XdrReader r = client.call(Nfs3.PROC_MKNOD, a -> {
            a.writeOpaque(root).writeString(name).writeInt(type);
            if (type == NF3BLK || type == NF3CHR || type == NF3SOCK || type == NF3FIFO) {
                sattrMode(a, mode);
            }
            if (type == NF3BLK || type == NF3CHR) {
                a.writeInt(8).writeInt(1); // major 8, minor 1: /dev/sda1 on Linux
            }
        });
        int status = r.readInt();
        if (status != Nfs3.OK) {
            // MKNOD3resfail: wcc_data of the directory
            boolean pre = r.readBoolean();
            if (pre) {
                r.skip(24);
            }
            boolean post = NfsTestClient.postOp(r) != null;
            return new Made(status, null, null, post);
        }
        byte[] fh = r.readBoolean() ? r.readOpaque(64) : null;
        NfsTestClient.Attr attr = NfsTestClient.postOp(r);
        NfsTestClient.wcc(r);
        return new Made(status, fh, attr, true);
    }

    private static void sattrMode(XdrWriter w, int mode) {
        w.writeBoolean(true).writeInt(mode);
        w.writeBoolean(false).writeBoolean(false).writeBoolean(false).writeInt(0).writeInt(0);
    }

    @Test
    void fifosAndSocketsAreMadeWithTheirTypeAndMode() throws IOException {
        Made fifo = mknod("pipe", NF3FIFO, 0640);
        assertEquals(Nfs3.OK, fifo.status());
        assertNotNull(fifo.handle());
        assertEquals(NF3FIFO, fifo.attributes().type());
        assertEquals(0640, fifo.attributes().mode() & 07777);
        assertEquals(NF3FIFO, client.getattr(client.lookup(root, "pipe")).type());

        Made sock = mknod("sock", NF3SOCK, 0600);
        assertEquals(Nfs3.OK, sock.status());
        assertEquals(NF3SOCK, sock.attributes().type());
        assertEquals(0600, client.getattr(sock.handle()).mode() & 07777);

        assertEquals(Nfs3.ERR_EXIST, mknod("pipe", NF3FIFO, 0600).status());
        assertTrue(client.list(root).containsAll(List.of("pipe", "sock")));
        assertEquals(Nfs3.OK, client.remove(root, "pipe"));
        assertNull(client.lookup(root, "pipe"));
    }

    @Test
    void devicesAreRefusedWithBadTypeForRootAndOthersAndLeaveNothing() throws IOException {
        for (int type : new int[] {NF3CHR, NF3BLK}) {
            Made asRoot = mknod("dev" + type, type, 0600);
            assertEquals(Nfs3.ERR_BADTYPE, asRoot.status(), "root's device type " + type);
            assertTrue(asRoot.dirAfter(), "wcc_data after-attributes of the directory on failure");
            assertNull(client.lookup(root, "dev" + type));
            assertEquals(Nfs3.ERR_NOENT, client.lastStatus);
        }
        // a world-writable directory so that an ordinary user gets past the permission check
        byte[] pub = client.mkdir(root, "pub");
        XdrReader chmod = client.call(Nfs3.PROC_SETATTR, a -> {
            a.writeOpaque(pub);
            sattrMode(a, 0777);
            a.writeBoolean(false);
        });
        assertEquals(Nfs3.OK, chmod.readInt());
        client.as(1000, 1000);
        XdrReader r = client.call(Nfs3.PROC_MKNOD, a -> {
            a.writeOpaque(pub).writeString("tty").writeInt(NF3CHR);
            sattrMode(a, 0666);
            a.writeInt(4).writeInt(1);
        });
        assertEquals(Nfs3.ERR_BADTYPE, r.readInt());
        assertEquals(List.of(".", ".."), client.list(pub));
    }

    @Test
    void regularDirectoryLinkAndUnknownTypesAreBadType() throws IOException {
        assertEquals(Nfs3.ERR_BADTYPE, mknod("r", NF3REG, 0).status());
        assertEquals(Nfs3.ERR_BADTYPE, mknod("d", 2, 0).status());
        assertEquals(Nfs3.ERR_BADTYPE, mknod("l", 5, 0).status());
        assertEquals(Nfs3.ERR_BADTYPE, mknod("x", 99, 0).status());
        assertEquals(List.of(".", ".."), client.list(root));
    }
}
