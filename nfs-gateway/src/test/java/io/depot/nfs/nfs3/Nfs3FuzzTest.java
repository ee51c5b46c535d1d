package io.depot.nfs.nfs3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.NfsGatewaySettings;
import io.depot.nfs.portmap.PortAdvertiser;
import io.depot.nfs.rpc.Credential;
import io.depot.nfs.rpc.RpcClient;
import io.depot.nfs.xdr.XdrWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated NFSv3 arguments (valid calls with bytes flipped, truncated, extended, or random) for
 * every procedure: each gets a reply or a closed connection, never a hang; the gateway keeps
 * serving a well-behaved client throughout. Seed: -Ddepot.fuzz.seed.
 */
class Nfs3FuzzTest {
    @TempDir
    Path tmp;

    @Test
    void mutatedArgumentsNeverHurtTheServerOrOtherClients() throws Exception {
        long seed = Long.getLong("depot.fuzz.seed", System.nanoTime());
        System.out.println("Nfs3FuzzTest seed " + seed);
        Random rnd = new Random(seed);
        try (Pool pool = Pool.create(tmp.resolve("pool"), PoolOptions.ofCapacity(1L << 30))) {
            InetAddress lo = InetAddress.getLoopbackAddress();
            try (NfsGateway gw = NfsGateway.start(pool, new NfsGatewaySettings(lo, 0,
                    new PortAdvertiser.Config(lo, 0, tmp.resolve("none.sock")), List.of(NfsExport.of("/depot"))));
                 NfsTestClient good = new NfsTestClient(gw.address(), null)) {
                byte[] root = good.mount("/depot");
                byte[] file = good.create(root, "keep");
                good.write(file, 0, "steady".getBytes(), Nfs3.FILE_SYNC);
                byte[] dir = good.mkdir(root, "d");
                byte[] victim = good.create(root, "victim"); // the fuzzer's; "keep" is not reachable by its names
                byte[][] handles = {root, victim, dir};
                int[] outcomes = new int[3]; // NFS3_OK, an NFS error, an RPC-level refusal
                assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
                    RpcClient bad = RpcClient.connect(gw.address(), Duration.ofSeconds(5));
                    bad.credential(new Credential.Sys(3, "fuzz", 0, 0, new int[0]));
                    for (int i = 0; i < 3000; i++) {
                        int proc = rnd.nextInt(23);
                        byte[] args = mutate(validArgs(proc, handles[rnd.nextInt(3)], rnd), rnd);
                        try {
                            var reply = bad.call(Nfs3.PROGRAM, 3, proc, w -> w.writeFixedOpaque(args));
                            outcomes[!reply.success() ? 2 : reply.results().remaining() >= 4 && reply.results().readInt() == Nfs3.OK ? 0 : 1]++;
                        } catch (IOException closed) {
                            bad.close();
                            bad = RpcClient.connect(gw.address(), Duration.ofSeconds(5));
                            bad.credential(new Credential.Sys(3, "fuzz", 0, 0, new int[0]));
                        }
                        if (i % 100 == 0) {
                            assertArrayEquals("steady".getBytes(), good.read(file, 0, 6), "the other client is served");
                        }
                    }
                    bad.close();
                });
                System.out.printf("Nfs3FuzzTest outcomes: %d OK, %d NFS errors, %d RPC refusals%n", outcomes[0], outcomes[1], outcomes[2]);
                assertTrue(outcomes[0] > 100 && outcomes[1] > 100 && outcomes[2] > 100, "the fuzz reaches every layer");
                assertArrayEquals("steady".getBytes(), good.read(file, 0, 6));
                assertNotNull(good.getattr(root));
                assertEquals(Nfs3.OK, good.lastStatus);
            }
        }
    }

    /** A plausible argument body for {@code proc}. */
    private static byte[] validArgs(int proc, byte[] fh, Random rnd) {
        XdrWriter w = new XdrWriter(ByteBufAllocator.DEFAULT);
        String name = rnd.nextBoolean() ? "n" + rnd.nextInt(5) : "..";
        switch (proc) {
            case 0 -> { }
            case 1, 5, 18, 19, 20 -> w.writeOpaque(fh);
            case 2 -> { w.writeOpaque(fh); sattr(w, rnd); w.writeBoolean(false); }
            case 3, 12, 13 -> w.writeOpaque(fh).writeString(name);
            case 4 -> w.writeOpaque(fh).writeInt(rnd.nextInt(64));
            case 6, 21 -> w.writeOpaque(fh).writeHyper(rnd.nextInt(1 << 20)).writeInt(rnd.nextInt(1 << 16));
            case 7 -> {
                byte[] d = new byte[rnd.nextInt(3000)];
                w.writeOpaque(fh).writeHyper(rnd.nextInt(1 << 20)).writeInt(d.length).writeInt(rnd.nextInt(3)).writeOpaque(d);
            }
            case 8 -> { w.writeOpaque(fh).writeString(name).writeInt(rnd.nextInt(3)); sattr(w, rnd); }
            case 9 -> { w.writeOpaque(fh).writeString(name); sattr(w, rnd); }
            case 10 -> { w.writeOpaque(fh).writeString(name); sattr(w, rnd); w.writeString("target"); }
            case 11 -> { w.writeOpaque(fh).writeString(name).writeInt(1 + rnd.nextInt(7)); sattr(w, rnd); w.writeInt(1).writeInt(2); }
            case 14 -> w.writeOpaque(fh).writeString(name).writeOpaque(fh).writeString("m" + rnd.nextInt(5));
            case 15 -> w.writeOpaque(fh).writeOpaque(fh).writeString(name);
            case 16 -> w.writeOpaque(fh).writeHyper(rnd.nextInt(10)).writeHyper(0).writeInt(rnd.nextInt(9000));
            case 17 -> w.writeOpaque(fh).writeHyper(rnd.nextInt(10)).writeHyper(0).writeInt(rnd.nextInt(9000)).writeInt(rnd.nextInt(9000));
            default -> w.writeInt(rnd.nextInt());
        }
        ByteBuf b = w.finish();
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        b.release();
        return out;
    }

    private static void sattr(XdrWriter w, Random rnd) {
        w.writeBoolean(rnd.nextBoolean()).writeInt(0644);
        w.writeBoolean(false).writeBoolean(false);
        w.writeBoolean(rnd.nextBoolean()).writeHyper(rnd.nextInt(1 << 16));
        w.writeInt(rnd.nextInt(3)).writeInt(rnd.nextInt(3));
    }

    /** Flips, truncates, extends or replaces; lengths stay a multiple of 4 as XDR frames are. */
    private static byte[] mutate(byte[] a, Random rnd) {
        switch (rnd.nextInt(5)) {
            case 0 -> {
                return a;
            }
            case 1 -> {
                byte[] b = a.clone();
                for (int k = 0; k < 1 + rnd.nextInt(4) && b.length > 0; k++) {
                    b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                }
                return b;
            }
            case 2 -> {
                return java.util.Arrays.copyOf(a, (rnd.nextInt(a.length + 1)) & ~3);
            }
            case 3 -> {
                byte[] b = java.util.Arrays.copyOf(a, a.length + 4 * (1 + rnd.nextInt(8)));
                for (int k = a.length; k < b.length; k++) {
                    b[k] = (byte) rnd.nextInt();
                }
                return b;
            }
            default -> {
                byte[] b = new byte[4 * rnd.nextInt(64)];
                rnd.nextBytes(b);
                if (b.length >= 8 && rnd.nextBoolean()) {
                    b[0] = b[1] = b[2] = 0; // plausible small lengths make deeper paths
                    b[3] = (byte) 25;
                }
                return b;
            }
        }
    }
}
