package io.depot.nfs.nfs3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.NfsGatewaySettings;
import io.depot.nfs.portmap.PortAdvertiser;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * READs never return another file's bytes, whichever path answers them (the event loop's, from
 * the page cache, or a worker's), while another client writes new files, truncates and removes
 * others in a pool small enough that freed clusters are soon handed to new files. Every 8-byte
 * word of file {@code tag} at offset {@code o} holds {@code tag << 32 | o / 8}; a READ may see
 * that word or zeros (a truncated and re-extended tail), never a word of another tag. Large READs
 * go out as views of the pool's data file under a reader pin ({@link BorrowedReadTest}); at the end
 * no pin is left and no freed cluster is left waiting for one.
 */
class ConcurrentReadIsolationTest {
    private static final int FILE = 512 * 1024;
    private static final int LIVE = 10;

    @TempDir
    Path tmp;

    private record Known(byte[] fh, int tag) {}

    private static byte[] content(int tag, long offset, int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        for (long o = offset; o < offset + length; o += 8) {
            b.putLong(((long) tag << 32) | (o / 8));
        }
        return b.array();
    }

    @Test
    void readsSeeTheirOwnFileOrZerosWhileFilesComeAndGo() throws Exception {
        try (Pool pool = Pool.create(tmp.resolve("pool"), PoolOptions.ofCapacity(24L << 20))) {
            InetAddress any = InetAddress.getByName("0.0.0.0");
            try (NfsGateway gw = NfsGateway.start(pool, new NfsGatewaySettings(any, 0,
                    new PortAdvertiser.Config(InetAddress.getLoopbackAddress(), 0, tmp.resolve("none.sock")), List.of(NfsExport.of("/depot"))))) {
                InetSocketAddress server = new InetSocketAddress("127.0.0.1", gw.address().getPort());
                List<Known> known = new CopyOnWriteArrayList<>();
                AtomicBoolean done = new AtomicBoolean();
                AtomicLong wordsChecked = new AtomicLong();
                AtomicLong okReads = new AtomicLong();
                ExecutorService readers = Executors.newFixedThreadPool(3);
                try (NfsTestClient m = new NfsTestClient(server, null)) {
                    byte[] root = m.mount("/depot");
                    Runnable reader = () -> {
                        Random rnd = new Random(Thread.currentThread().threadId());
                        try (NfsTestClient r = new NfsTestClient(server, null)) {
                            r.mount("/depot");
                            while (!done.get() || okReads.get() < 50) {
                                if (known.isEmpty()) {
                                    Thread.onSpinWait();
                                    continue;
                                }
                                Known k = known.get(rnd.nextInt(known.size()));
                                long offset = rnd.nextBoolean() ? 8L * rnd.nextInt(FILE / 8) : 0;
                                int count = rnd.nextInt(2) == 0 ? FILE : 4096 + 8 * rnd.nextInt(16 * 1024);
                                byte[] got = r.read(k.fh(), offset, count);
                                if (got == null) { // removed: STALE is fine
                                    continue;
                                }
                                okReads.incrementAndGet();
                                ByteBuffer b = ByteBuffer.wrap(got);
                                for (long o = offset; b.remaining() >= 8; o += 8) {
                                    long w = b.getLong();
                                    long want = ((long) k.tag() << 32) | (o / 8);
                                    if (w != 0 && w != want) {
                                        throw new AssertionError("file " + k.tag() + " at " + o + ": word " + Long.toHexString(w)
                                                + " (tag " + (w >>> 32) + ") instead of " + Long.toHexString(want));
                                    }
                                    wordsChecked.incrementAndGet();
                                }
                            }
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    };
                    Future<?> r1 = readers.submit(reader);
                    Future<?> r2 = readers.submit(reader);
                    Random rnd = new Random(42);
                    List<Known> live = new java.util.ArrayList<>();
                    int removed = 0;
                    for (int tag = 1; tag <= 120; tag++) {
                        byte[] fh = m.create(root, "f" + tag);
                        assertNotNull(fh, "create f" + tag + ": " + m.lastStatus);
                        for (int o = 0; o < FILE; o += 128 * 1024) {
                            assertEquals(Nfs3.OK, m.write(fh, o, content(tag, o, 128 * 1024), tag % 3 == 0 ? Nfs3.FILE_SYNC : Nfs3.UNSTABLE).status());
                        }
                        Known k = new Known(fh, tag);
                        live.add(k);
                        known.add(k);
                        if (tag % 4 == 0) { // cut a file short, then let it grow back with zeros
                            Known t = live.get(rnd.nextInt(live.size()));
                            assertEquals(Nfs3.OK, m.truncate(t.fh(), 8L * rnd.nextInt(FILE / 8)));
                            assertEquals(Nfs3.OK, m.truncate(t.fh(), FILE));
                        }
                        if (live.size() > LIVE) { // frees its clusters for the next files
                            Known gone = live.remove(rnd.nextInt(live.size()));
                            assertEquals(Nfs3.OK, m.remove(root, "f" + gone.tag()));
                            removed++;
                        }
                    }
                    done.set(true);
                    r1.get(60, TimeUnit.SECONDS);
                    r2.get(60, TimeUnit.SECONDS);
                    assertTrue(removed > 100, "removed " + removed);
                    assertTrue(okReads.get() >= 50 && wordsChecked.get() > 1_000_000,
                            okReads.get() + " reads, " + wordsChecked.get() + " words checked");
                    assertTrue(pool.readerPins().taken() > 0, "large READs were sent from plans");
                    long deadline = System.nanoTime() + 20_000_000_000L;
                    while (pool.readerPins().held() > 0 || pool.readerPins().limboClusters() > 0) {
                        assertTrue(System.nanoTime() < deadline, pool.readerPins().held() + " pins held, "
                                + pool.readerPins().limboClusters() + " clusters in limbo after the last reply");
                        Thread.onSpinWait();
                    }
                } finally {
                    readers.shutdownNow();
                }
            }
        }
    }
}
