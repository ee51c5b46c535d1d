package io.depot.engine.store;

import java.util.function.BiPredicate;

/**
 * The engine's view of its metadata: an ordered byte-key map with atomic, durable batches.
 *
 * <p>Keys compare as unsigned bytes, so big-endian encoded numbers iterate in numeric order.
 * Every {@link #write} is atomic and durable when it returns (the RocksDB implementation
 * syncs its write-ahead log). The engine never writes outside a batch.
 */
public interface MetadataStore extends AutoCloseable {

    /** The value stored under {@code key}, or null. */
    byte[] get(byte[] key);

    /**
     * The value under {@code key} if the store can tell without reading its files (from memory
     * and its caches): {@link Cached} with the value, or with null when there is none. Null when
     * only a read from disk could tell. For callers that must not block, such as an event loop.
     */
    default Cached getCached(byte[] key) {
        return null;
    }

    /**
     * The entry with the greatest key in {@code [lowest, key]}, or null if there is none.
     * This is how a snapshot finds the newest mapping born at or before its epoch.
     */
    Entry floor(byte[] key, byte[] lowest);

    /**
     * Calls {@code visitor} for every entry with {@code from <= key < to} in key order,
     * stopping early when the visitor returns false.
     */
    void scan(byte[] from, byte[] to, BiPredicate<byte[], byte[]> visitor);

    /** Applies every operation of the batch atomically and durably. */
    void write(MetaBatch batch);

    /**
     * Applies every operation of the batch atomically, visible at once but durable only after a
     * later {@link #sync} (or durable {@link #write}) returns. A crash loses a suffix of such
     * batches, never one without those applied before it (the log is replayed in order). Lets a
     * caller apply under its own lock and share one sync with others outside it (group commit).
     * A store without a separate sync writes durably at once.
     */
    default void writeUnsynced(MetaBatch batch) {
        write(batch);
    }

    /**
     * As {@link #writeUnsynced}, unless applying the batch would have to wait (a store throttling
     * its writers): then applies nothing and returns false. For callers that must not block,
     * such as a network event loop, which hand the batch to a thread that may wait instead.
     */
    default boolean tryWriteUnsynced(MetaBatch batch) {
        writeUnsynced(batch);
        return true;
    }

    /** Makes every batch applied before this call durable. */
    default void sync() {
    }

    @Override
    void close();

    /** What {@link #getCached} found: a value, or null for none. */
    record Cached(byte[] value) {}

    /** One key and its value. */
    record Entry(byte[] key, byte[] value) {}
}
