package io.depot.engine;

import java.util.Map;

/**
 * The legacy view of the pool's {@link Catalog}: every namespace at once, a setting's name being
 * its namespace, a '/' and its key ({@code iscsi/target/...}, {@code nfs/...}). Kept so the layers
 * above work unchanged until they move to {@link Pool#catalog()} namespaces; new code should use
 * those.
 *
 * <p>Every change is durable before the call returns, except through {@link #applyUnsynced}
 * (a {@link CatalogNamespace#stage}), which leaves durability to a later {@link #sync} or any
 * other commit of the pool (group commit by the caller).
 */
public final class Settings {
    private final CatalogNamespace<byte[]> all;
    private final Catalog catalog;

    Settings(Catalog catalog) {
        this.catalog = catalog;
        this.all = catalog.allNamespaces();
    }

    /** The value stored under {@code name}, or null. */
    public byte[] get(String name) {
        return all.get(name);
    }

    /**
     * The value under {@code name} if the store can tell without reading from disk: a
     * {@link CachedValue} holding the value, or null inside for none. Null when only a disk read
     * could tell. For a caller that must not block (an event loop).
     */
    public CachedValue<byte[]> getCached(String name) {
        return all.getCached(name);
    }

    /** Stores {@code value} under {@code name}, durably. */
    public void put(String name, byte[] value) {
        all.put(name, value);
    }

    /** Applies several puts (non-null values) and deletes (null values) atomically and durably. */
    public void apply(Map<String, byte[]> changes) {
        all.apply(changes);
    }

    /**
     * Applies the changes atomically and visibly, but durably only once a later {@link #sync}
     * (or any commit of this pool) returns. A crash keeps a prefix of the changes made this way,
     * in the order they were applied: never a change without those before it.
     */
    public void applyUnsynced(Map<String, byte[]> changes) {
        all.stage(changes);
    }

    /**
     * As {@link #applyUnsynced}, unless the store would make the caller wait (RocksDB throttling
     * writers): then changes nothing and returns false. For a caller that must not block (an
     * event loop), which then leaves the change to a thread that may wait.
     */
    public boolean tryApplyUnsynced(Map<String, byte[]> changes) {
        return all.tryStage(changes) != Catalog.REFUSED;
    }

    /** Makes every change applied before this call durable: one commit of the pool, on this thread. */
    public void sync() {
        catalog.commitNow();
    }

    public void delete(String name) {
        all.delete(name);
    }

    /**
     * At most {@code limit} settings whose names start with {@code prefix} and sort after
     * {@code startAfter} (null: from the first), in name order: a page of a large listing, such
     * as a directory read in pieces. Names compare as their UTF-8 bytes, unsigned.
     */
    public Map<String, byte[]> list(String prefix, String startAfter, int limit) {
        return all.list(prefix, startAfter, limit);
    }

    /** Every setting whose name starts with {@code prefix}, in name order. */
    public Map<String, byte[]> list(String prefix) {
        return all.list(prefix);
    }
}
