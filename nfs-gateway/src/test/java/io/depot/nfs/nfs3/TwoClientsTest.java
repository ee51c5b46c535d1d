package io.depot.nfs.nfs3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.NfsGatewaySettings;
import io.depot.nfs.portmap.PortAdvertiser;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two hypervisors on one export: close-to-open consistency. What A wrote and committed ("close"),
 * B sees at its next GETATTR ("open") in size and mtime, and then reads.
 */
class TwoClientsTest {
    @TempDir
    Path tmp;

    @Test
    void whatOneClientCommittedTheOtherSeesAtOpen() throws IOException {
        try (Pool pool = Pool.create(tmp.resolve("pool"), PoolOptions.ofCapacity(1L << 30))) {
            InetAddress any = InetAddress.getByName("0.0.0.0");
            try (NfsGateway gw = NfsGateway.start(pool, new NfsGatewaySettings(any, 0,
                    new PortAdvertiser.Config(InetAddress.getLoopbackAddress(), 0, tmp.resolve("none.sock")), List.of(NfsExport.of("/depot"))));
                 NfsTestClient a = new NfsTestClient(new InetSocketAddress("127.0.0.1", gw.address().getPort()), null);
                 NfsTestClient b = new NfsTestClient(new InetSocketAddress("127.0.0.1", gw.address().getPort()), new InetSocketAddress("127.0.0.2", 0))) {
                byte[] rootA = a.mount("/depot");
                byte[] rootB = b.mount("/depot");
                byte[] fa = a.create(rootA, "shared.img");
                byte[] fb = b.lookup(rootB, "shared.img");
                assertArrayEquals(fa, fb, "one handle for one file, whoever asks");
                NfsTestClient.Attr before = b.getattr(fb);
                Random rnd = new Random(9);
                for (int round = 0; round < 5; round++) {
                    byte[] data = new byte[10_000 + round * 777];
                    rnd.nextBytes(data);
                    long offset = round * 4096L + 13;
                    a.write(fa, offset, data, Nfs3.UNSTABLE);
                    a.commit(fa); // close
                    NfsTestClient.Attr seenByA = a.getattr(fa);
                    NfsTestClient.Attr open = b.getattr(fb); // open
                    assertEquals(seenByA.size(), open.size(), "size coherent");
                    assertEquals(seenByA.mtimeNanos(), open.mtimeNanos(), "mtime coherent");
                    assertTrue(open.mtimeNanos() > before.mtimeNanos() || open.size() > before.size(), "B sees a change");
                    assertArrayEquals(data, b.read(fb, offset, data.length));
                    before = open;
                    // and the other way round
                    b.write(fb, 0, new byte[] {(byte) round}, Nfs3.FILE_SYNC);
                    assertEquals(round, a.read(fa, 0, 1)[0]);
                    assertEquals(b.getattr(fb).mtimeNanos(), a.getattr(fa).mtimeNanos());
                }
            }
        }
    }
}
