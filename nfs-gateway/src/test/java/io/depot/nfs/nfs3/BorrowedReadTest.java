package io.depot.nfs.nfs3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.core.ReaderPins;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.NfsGatewaySettings;
import io.depot.nfs.portmap.PortAdvertiser;
import io.depot.nfs.rpc.RpcReply;
import io.depot.nfs.xdr.XdrReader;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Large READs are sent from {@link io.depot.engine.ReadPlan}s (views of the pool's mapped data
 * file) under a reader pin, released once the reply has been written or its connection died. A
 * client that stops reading keeps four 1 MiB replies of file A unsent in the server; A is removed
 * and file B written meanwhile. With the pin, A's freed clusters wait in limbo and the stalled
 * replies still carry A's bytes; with the pin off (a switch for this test only), B is written
 * into A's clusters and the stalled replies show B's bytes: what the pin exists to prevent.
 */
class BorrowedReadTest {
    private static final int MIB = 1 << 20;
    private static final int FILES_MIB = 4;

    @TempDir
    Path tmp;

    private static byte[] content(int tag, long offset, int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        for (long o = offset; o < offset + length; o += 8) {
            b.putLong(((long) tag << 32) | (o / 8));
        }
        return b.array();
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.onSpinWait();
        }
    }

    /** A client socket with a tiny receive buffer that sends READs and reads their replies only when told. */
    private static final class StalledReader implements AutoCloseable {
        private final SocketChannel ch;
        private int xid = 0x5000;

        StalledReader(InetSocketAddress server) throws IOException {
            ch = SocketChannel.open();
            ch.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
            ch.connect(server);
        }

        void read(byte[] fh, long offset, int count) throws IOException {
            byte[] call = RawCalls.call(++xid, Nfs3.PROC_READ, a -> a.writeOpaque(fh).writeHyper(offset).writeInt(count));
            ByteBuffer b = ByteBuffer.allocate(4 + call.length).putInt(0x8000_0000 | call.length).put(call).flip();
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }

        /** The data of the next READ reply. */
        byte[] reply() throws IOException {
            ByteBuffer mark = ByteBuffer.allocate(4);
            fill(mark);
            ByteBuffer record = ByteBuffer.allocate(mark.getInt(0) & 0x7fff_ffff);
            fill(record);
            RpcReply reply = RpcReply.parse(Unpooled.wrappedBuffer(record.flip()));
            assertTrue(reply.success(), reply.toString());
            XdrReader r = reply.results();
            assertEquals(Nfs3.OK, r.readInt());
            NfsTestClient.postOp(r);
            int n = r.readInt();
            r.readBoolean();
            return r.readOpaque(n);
        }

        private void fill(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) {
                if (ch.read(b) < 0) {
                    throw new IOException("connection closed");
                }
            }
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    private record Setup(Pool pool, NfsGateway gw, InetSocketAddress server) implements AutoCloseable {
        ReaderPins pins() { return pool.readerPins(); }

        @Override
        public void close() {
            try {
                gw.close();
            } finally {
                pool.close();
            }
        }
    }

    private Setup start() throws IOException {
        Pool pool = Pool.create(tmp.resolve("pool"), PoolOptions.ofCapacity(16L * MIB));
        InetAddress any = InetAddress.getByName("0.0.0.0");
        NfsGateway gw = NfsGateway.start(pool, new NfsGatewaySettings(any, 0,
                new PortAdvertiser.Config(InetAddress.getLoopbackAddress(), 0, tmp.resolve("none.sock")), List.of(NfsExport.of("/depot"))));
        return new Setup(pool, gw, new InetSocketAddress("127.0.0.1", gw.address().getPort()));
    }

    private static byte[] writeFile(NfsTestClient c, byte[] root, String name, int tag) throws IOException {
        byte[] fh = c.create(root, name);
        assertNotNull(fh, "create " + name + ": " + c.lastStatus);
        for (int o = 0; o < FILES_MIB * MIB; o += MIB) {
            assertEquals(Nfs3.OK, c.write(fh, o, content(tag, o, MIB), Nfs3.FILE_SYNC).status());
        }
        return fh;
    }

    /** Sends a READ of each MiB of file {@code fh} from {@code slow}, which reads no reply: they wait in the server, pinned. */
    private static void stallReadsOf(Setup s, StalledReader slow, byte[] fh) throws IOException {
        long planned = s.pins().taken();
        for (int i = 0; i < FILES_MIB; i++) {
            slow.read(fh, (long) i * MIB, MIB);
        }
        await("the READs planned", () -> s.pins().taken() >= planned + FILES_MIB);
        assertTrue(s.pins().held() > 0, "a 4 KiB receive buffer cannot take 4 MiB: replies wait, pinned");
    }

    /** Stalls four READs of A, removes A, writes B, then reads the stalled replies: what they carry. */
    private byte[][] stalledRepliesAfterReuse(Setup s, boolean pinned) throws IOException {
        s.pins().enforce(pinned);
        try (NfsTestClient c = new NfsTestClient(s.server(), null); StalledReader slow = new StalledReader(s.server())) {
            byte[] root = c.mount("/depot");
            byte[] a = writeFile(c, root, "a", 1);
            assertArrayEquals(content(1, 0, MIB), c.read(a, 0, MIB), "read once: in the page cache and the mapping cache");
            stallReadsOf(s, slow, a);
            assertEquals(Nfs3.OK, c.remove(root, "a"));
            await("A's clusters freed durably", () -> {
                s.pool().flush();
                return pinned ? s.pins().limboClusters() >= FILES_MIB * 16L - 16 : s.pool().usage().usedBytes() == 0;
            });
            writeFile(c, root, "b", 2);
            byte[][] got = new byte[FILES_MIB][];
            for (int i = 0; i < FILES_MIB; i++) {
                got[i] = slow.reply();
            }
            return got;
        }
    }

    @Test
    void stalledRepliesKeepTheirFilesBytesWhileItsClustersWaitInLimbo() throws IOException {
        try (Setup s = start()) {
            byte[][] got = stalledRepliesAfterReuse(s, true);
            for (int i = 0; i < FILES_MIB; i++) {
                assertArrayEquals(content(1, (long) i * MIB, MIB), got[i], "reply " + i + " shows file A's bytes only");
            }
            await("every pin released and limbo drained", () -> s.pins().held() == 0 && s.pins().limboClusters() == 0);
        }
    }

    @Test
    void withoutThePinAStalledReplyShowsTheNextFilesBytes() throws IOException {
        try (Setup s = start()) {
            byte[][] got = stalledRepliesAfterReuse(s, false);
            long foreign = 0;
            for (byte[] reply : got) {
                ByteBuffer b = ByteBuffer.wrap(reply);
                while (b.remaining() >= 8) {
                    foreign += b.getLong() >>> 32 == 2 ? 1 : 0;
                }
            }
            assertTrue(foreign > 0, "file B's words in replies to READs of A: the hazard the pin closes");
        }
    }

    @Test
    void aConnectionClosedMidSendReleasesItsPins() throws IOException {
        try (Setup s = start(); NfsTestClient c = new NfsTestClient(s.server(), null)) {
            byte[] root = c.mount("/depot");
            byte[] a = writeFile(c, root, "a", 1);
            c.read(a, 0, MIB);
            try (StalledReader slow = new StalledReader(s.server())) {
                stallReadsOf(s, slow, a);
                assertEquals(Nfs3.OK, c.remove(root, "a"));
                await("A's clusters in limbo", () -> {
                    s.pool().flush();
                    return s.pins().limboClusters() > 0;
                });
            }
            await("the closed connection's pins released and limbo drained",
                    () -> s.pins().held() == 0 && s.pins().limboClusters() == 0);
            assertEquals(0, s.pool().usage().usedBytes(), "A's clusters back in the allocator");
        }
    }
}
