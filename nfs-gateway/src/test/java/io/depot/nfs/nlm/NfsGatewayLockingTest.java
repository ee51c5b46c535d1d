package io.depot.nfs.nlm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.NfsGatewaySettings;
import io.depot.nfs.mount.Mount;
import io.depot.nfs.nfs3.Nfs3;
import io.depot.nfs.nfs3.NfsExport;
import io.depot.nfs.portmap.Portmap;
import io.depot.nfs.portmap.PortmapClient;
import io.depot.nfs.portmap.PortAdvertiser;
import io.depot.nfs.rpc.Credential;
import io.depot.nfs.rpc.Rpc;
import io.depot.nfs.rpc.RpcClient;
import io.depot.nfs.rpc.RpcReply;
import io.depot.nfs.xdr.XdrReader;
import io.netty.buffer.Unpooled;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lock manager as the gateway serves it: on the NFS port (TCP and UDP), advertised by the
 * portmapper, keyed by the file whatever export its handle came through, and STALE_FH once the
 * file is removed.
 */
class NfsGatewayLockingTest {
    @TempDir
    Path tmp;

    private Pool pool;
    private NfsGateway gw;
    private RpcClient nfs;

    @BeforeEach
    void start() throws Exception {
        pool = Pool.create(tmp.resolve("pool"), PoolOptions.ofCapacity(1L << 30));
        InetAddress lo = InetAddress.getLoopbackAddress();
        gw = NfsGateway.start(pool, new NfsGatewaySettings(lo, 0, new PortAdvertiser.Config(lo, 0, tmp.resolve("no-rpcbind.sock")),
                List.of(NfsExport.of("/depot"), NfsExport.of("/depot/vms"))));
        nfs = RpcClient.connect(gw.address(), Duration.ofSeconds(10));
        nfs.credential(new Credential.Sys(1, "test", 0, 0, new int[0]));
    }

    @AfterEach
    void stop() {
        nfs.close();
        gw.close();
        pool.close();
    }

    private byte[] mount(String path) throws Exception {
        XdrReader r = nfs.call(Mount.PROGRAM, Mount.VERSION, Mount.PROC_MNT, w -> w.writeString(path)).results();
        assertEquals(0, r.readInt());
        return r.readOpaque(64);
    }

    private byte[] lookup(byte[] dir, String name) throws Exception {
        XdrReader r = nfs.call(Nfs3.PROGRAM, Nfs3.VERSION, Nfs3.PROC_LOOKUP, w -> w.writeOpaque(dir).writeString(name)).results();
        assertEquals(0, r.readInt());
        return r.readOpaque(64);
    }

    private byte[] create(byte[] dir, String name) throws Exception {
        XdrReader r = nfs.call(Nfs3.PROGRAM, Nfs3.VERSION, Nfs3.PROC_CREATE, w -> w.writeOpaque(dir).writeString(name)
                .writeInt(0) // UNCHECKED
                .writeBoolean(false).writeBoolean(false).writeBoolean(false).writeBoolean(false).writeInt(0).writeInt(0)).results();
        assertEquals(0, r.readInt());
        assertTrue(r.readBoolean());
        return r.readOpaque(64);
    }

    private void remove(byte[] dir, String name) throws Exception {
        XdrReader r = nfs.call(Nfs3.PROGRAM, Nfs3.VERSION, Nfs3.PROC_REMOVE, w -> w.writeOpaque(dir).writeString(name)).results();
        assertEquals(0, r.readInt());
    }

    @Test
    void locksHoldAcrossExportsAndGoStaleWithTheFile() throws Exception {
        byte[] viaDepot = create(lookup(mount("/depot"), "vms"), "disk.img");
        byte[] viaVms = lookup(mount("/depot/vms"), "disk.img");
        assertFalse(java.util.Arrays.equals(viaDepot, viaVms), "two exports, two handles");
        try (NlmClient a = new NlmClient(gw.address(), Nlm.VERSION_4, "hypervisor-a");
             NlmClient b = new NlmClient(gw.address(), Nlm.VERSION_4, "hypervisor-b")) {
            assertEquals(NlmStatus.GRANTED, a.lock(viaDepot, 1, 100, 1, false, false));
            assertEquals(NlmStatus.GRANTED, a.lock(viaDepot, 1, 201, 1, false, false));
            assertEquals(NlmStatus.DENIED, b.lock(viaVms, 2, 201, 1, true, false), "one file, whichever export");
            assertEquals(2, gw.locks().lockCount());
            assertEquals(NlmStatus.STALE_FH, b.lock(new byte[25], 2, 0, 1, true, false), "a forged handle");

            remove(lookup(mount("/depot"), "vms"), "disk.img");
            assertEquals(NlmStatus.STALE_FH, b.lock(viaVms, 2, 0, 1, true, false));
            assertEquals(NlmStatus.STALE_FH, a.unlock(viaDepot, 1, 0, 0));
            gw.locks().hostRebooted("hypervisor-a");
            assertEquals(0, gw.locks().lockCount());
        }
    }

    @Test
    void advertisedForVersionsOneThreeAndFourAndServedOverUdp() throws Exception {
        try (PortmapClient pm = PortmapClient.connect(gw.address(), Duration.ofSeconds(5))) {
            for (int v : new int[] {Nlm.VERSION_1, Nlm.VERSION_3, Nlm.VERSION_4}) {
                assertEquals(gw.address().getPort(), pm.getPort(Nlm.PROGRAM, v, Portmap.IPPROTO_TCP), "NLM v" + v);
            }
        }
        // NLM NULL in one datagram to the same port number
        int xid = 0x4e4c4d;
        ByteBuffer call = ByteBuffer.allocate(40).putInt(xid).putInt(Rpc.CALL).putInt(Rpc.VERSION).putInt(Nlm.PROGRAM)
                .putInt(Nlm.VERSION_4).putInt(Nlm.PROC_NULL).putInt(0).putInt(0).putInt(0).putInt(0);
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(5000);
            s.send(new DatagramPacket(call.array(), 40, gw.address()));
            byte[] buf = new byte[512];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            s.receive(p);
            RpcReply reply = RpcReply.parse(Unpooled.wrappedBuffer(buf, 0, p.getLength()));
            assertEquals(xid, reply.xid());
            assertTrue(reply.success(), reply.toString());
        }
    }
}
