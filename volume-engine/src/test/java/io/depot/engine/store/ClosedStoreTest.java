package io.depot.engine.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.StorageIoException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A thread that uses the metadata store while or after it is closed (the NFS gateway's background
 * deleter did, in CI) gets an exception; before the guard it touched a freed RocksDB handle and the
 * JVM died with SIGSEGV.
 */
class ClosedStoreTest {
    @TempDir
    Path dir;

    private static byte[] key(int i) { return ByteBuffer.allocate(5).put((byte) 'Z').putInt(i).array(); }

    @Test
    void everyCallAfterCloseIsRefusedWithAnException() {
        RocksMetadataStore store = new RocksMetadataStore(dir.resolve("meta"));
        store.write(new MetaBatch().put(key(1), new byte[] {7}));
        store.close();
        store.close(); // twice is harmless
        assertThrows(StorageIoException.class, () -> store.write(new MetaBatch().put(key(2), new byte[] {8})));
        assertThrows(StorageIoException.class, () -> store.writeUnsynced(new MetaBatch().put(key(2), new byte[] {8})));
        assertThrows(StorageIoException.class, store::sync);
        assertThrows(StorageIoException.class, () -> store.get(key(1)));
        assertThrows(StorageIoException.class, () -> store.floor(key(1), key(0)));
        assertThrows(StorageIoException.class, () -> store.scan(key(0), key(9), (k, v) -> true));

        RocksMetadataStore reopened = new RocksMetadataStore(dir.resolve("meta"));
        assertArrayEquals(new byte[] {7}, reopened.get(key(1)), "what was written before close is there");
        reopened.close();
    }

    @Test
    void writersRacingWithCloseEitherLandOrAreRefused() throws Exception {
        RocksMetadataStore store = new RocksMetadataStore(dir.resolve("meta"));
        int threads = 4;
        CountDownLatch started = new CountDownLatch(threads);
        AtomicInteger landed = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int base = t * 1_000_000;
            Thread w = new Thread(() -> {
                started.countDown();
                for (int i = 0; ; i++) {
                    try {
                        store.write(new MetaBatch().put(key(base + i), new byte[] {1}));
                        landed.incrementAndGet();
                    } catch (StorageIoException closed) {
                        refused.incrementAndGet();
                        return;
                    }
                }
            });
            w.start();
            writers.add(w);
        }
        started.await();
        while (landed.get() < 100) {
            Thread.onSpinWait();
        }
        store.close();
        for (Thread w : writers) {
            w.join();
        }
        assertEquals(threads, refused.get(), "every writer was refused once the store closed");
        RocksMetadataStore reopened = new RocksMetadataStore(dir.resolve("meta"));
        AtomicInteger found = new AtomicInteger();
        reopened.scan(key(0), key(Integer.MAX_VALUE), (k, v) -> {
            found.incrementAndGet();
            return true;
        });
        reopened.close();
        assertTrue(found.get() >= landed.get(), "every acknowledged (synced) write survived: " + found + " of " + landed);
    }
}
