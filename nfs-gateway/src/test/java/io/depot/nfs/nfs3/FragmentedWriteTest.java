package io.depot.nfs.nfs3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.NfsGatewaySettings;
import io.depot.nfs.portmap.PortAdvertiser;
import io.depot.nfs.rpc.RpcReply;
import io.depot.nfs.xdr.XdrReader;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A WRITE whose record arrives in several fragments (RFC 5531 §11) is written as one, from a buffer
 * gathered once, whether it creates data or overwrites it in place (the event loop's path takes only
 * records in one piece and leaves these to the worker).
 */
class FragmentedWriteTest {
    @TempDir
    Path tmp;

    @Test
    void aWriteInThreeFragmentsLandsWhole() throws Exception {
        try (Pool pool = Pool.create(tmp.resolve("pool"), PoolOptions.ofCapacity(64L << 20))) {
            InetAddress lo = InetAddress.getLoopbackAddress();
            try (NfsGateway gw = NfsGateway.start(pool, new NfsGatewaySettings(lo, 0, new PortAdvertiser.Config(lo, 0, tmp.resolve("none.sock")),
                    List.of(NfsExport.of("/depot")))); NfsTestClient c = new NfsTestClient(gw.address(), null)) {
                byte[] root = c.mount("/depot");
                byte[] fh = c.create(root, "f");
                assertNotNull(fh);
                for (int round = 0; round < 2; round++) { // a first write, then an overwrite in place
                    byte[] data = new byte[256 * 1024];
                    new Random(round).nextBytes(data);
                    byte[] call = RawCalls.call(0x7000 + round, Nfs3.PROC_WRITE,
                            a -> a.writeOpaque(fh).writeHyper(0).writeInt(data.length).writeInt(Nfs3.UNSTABLE).writeOpaque(data));
                    int[] cuts = {0, 1000, call.length / 2 + 3, call.length};
                    ByteBuffer wire = ByteBuffer.allocate(call.length + 4 * (cuts.length - 1));
                    for (int i = 0; i + 1 < cuts.length; i++) {
                        int len = cuts[i + 1] - cuts[i];
                        wire.putInt((i + 2 == cuts.length ? 0x8000_0000 : 0) | len).put(call, cuts[i], len);
                    }
                    c.rpc.sendRaw(wire.flip());
                    RpcReply reply = RpcReply.parse(Unpooled.wrappedBuffer(c.rpc.receiveRecord()));
                    assertTrue(reply.success(), reply.toString());
                    XdrReader r = reply.results();
                    assertEquals(Nfs3.OK, r.readInt());
                    NfsTestClient.wcc(r);
                    assertEquals(data.length, r.readInt(), "count written");
                    assertArrayEquals(data, c.read(fh, 0, data.length));
                }
            }
        }
    }
}
