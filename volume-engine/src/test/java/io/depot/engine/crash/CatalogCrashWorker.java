package io.depot.engine.crash;

import io.depot.engine.Catalog;
import io.depot.engine.CatalogCodec;
import io.depot.engine.CatalogNamespace;
import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.Volume;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The process that {@link CatalogKillNineTest} kills with SIGKILL. Threads stage catalog changes
 * in one global order (change {@code i} puts key {@link #key}(i)) and record {@code D i} in the
 * journal once the engine reports change {@code i} durable, each thread by its own way: blocking
 * {@link Catalog#await}, a {@link Catalog#whenDurable} callback, or a volume flush after a volume
 * write (the commit that covers the write covers the change staged before it).
 *
 * <p>Usage: {@code CatalogCrashWorker POOL_DIR JOURNAL THREADS}. Prints {@link CrashWorker#PROGRESS}
 * once changes have been reported durable.
 */
public final class CatalogCrashWorker {
    static final String NAMESPACE = "crash";
    private static final int DURABLE_BEFORE_PROGRESS = 50;

    private final CatalogNamespace<String> changes;
    private final Catalog catalog;
    private final Volume volume;
    private final FileChannel journal;
    private final Object order = new Object();
    private long next;
    private final AtomicLong durable = new AtomicLong();

    private CatalogCrashWorker(Pool pool, FileChannel journal) {
        this.catalog = pool.catalog();
        this.changes = catalog.namespace(NAMESPACE, CatalogCodec.UTF8);
        this.volume = pool.volumes().isEmpty() ? pool.createVolume("v", 64L << 20) : pool.volume("v");
        this.journal = journal;
        this.next = changes.list("").size();   // what a crash kept is a prefix: continue after it
    }

    static String key(long i) { return String.format("k/%012d", i); }

    public static void main(String[] args) throws Exception {
        Path poolDir = Path.of(args[0]);
        int threads = Integer.parseInt(args[2]);
        Pool pool = Pool.exists(poolDir) ? Pool.open(poolDir) : Pool.create(poolDir, PoolOptions.ofCapacity(256L << 20));
        FileChannel journal = FileChannel.open(Path.of(args[1]), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        CatalogCrashWorker w = new CatalogCrashWorker(pool, journal);
        for (int t = 0; t < threads; t++) {
            int way = t % 3;
            Thread.ofPlatform().name("catalog-crash-" + t).start(() -> w.run(way));
        }
        while (w.durable.get() < DURABLE_BEFORE_PROGRESS) {
            Thread.sleep(5);   // polling for the progress report only; the kill comes from outside
        }
        System.out.println(CrashWorker.PROGRESS + " durable=" + w.durable.get());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    /** Stages forever, learning durability by {@code way}: 0 await, 1 whenDurable, 2 volume write + flush. */
    private void run(int way) {
        Semaphore inFlight = new Semaphore(4);
        ByteBuffer block = ByteBuffer.allocate(4096);
        try {
            while (true) {
                long i;
                long ticket;
                synchronized (order) {   // staging order = key order, so the journal can check for a prefix
                    i = next++;
                    ticket = changes.stage(Map.of(key(i), Long.toString(i)));
                }
                switch (way) {
                    case 0 -> {
                        catalog.await(ticket);
                        recordDurable(i);
                    }
                    case 1 -> {
                        inFlight.acquireUninterruptibly();
                        catalog.whenDurable(ticket, ok -> {
                            if (ok) {
                                recordDurable(i);
                            }
                            inFlight.release();
                        });
                    }
                    default -> {
                        volume.write((i % 1024) * 4096, block.clear());
                        volume.flush();
                        recordDurable(i);
                    }
                }
            }
        } catch (RuntimeException e) {
            System.out.println(CrashWorker.FAILED + " " + e);
            System.exit(3);
        }
    }

    private void recordDurable(long i) {
        byte[] line = ("D " + i + "\n").getBytes(StandardCharsets.US_ASCII);
        synchronized (journal) {
            try {
                journal.write(ByteBuffer.wrap(line));   // the page cache survives a kill -9: no fsync needed
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        durable.incrementAndGet();
    }
}
