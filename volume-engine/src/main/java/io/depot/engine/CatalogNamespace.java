package io.depot.engine;

import io.depot.engine.core.Keys;
import io.depot.engine.store.MetaBatch;
import io.depot.engine.store.MetadataStore;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One namespace of the {@link Catalog}: values of type {@code V} under string keys, ordered by
 * their UTF-8 bytes (unsigned). Changes are maps from key to value, a null value deleting the
 * key; each change is atomic. Reads see every change applied or staged, durable or not.
 */
public final class CatalogNamespace<V> {
    private final Catalog catalog;
    /** The namespace's name and a '/', before every key in the store. */
    private final String prefix;
    private final int prefixBytes;
    private final CatalogCodec<V> codec;

    CatalogNamespace(Catalog catalog, String prefix, CatalogCodec<V> codec) {
        this.catalog = catalog;
        this.prefix = prefix;
        this.prefixBytes = prefix.getBytes(StandardCharsets.UTF_8).length;
        this.codec = codec;
    }

    /** The value under {@code key}, or null. */
    public V get(String key) {
        byte[] v = catalog.store().get(storeKey(key));
        return v == null ? null : codec.decode(v);
    }

    /**
     * The value under {@code key} if memory can tell (the store's memtables and block cache): a
     * {@link CachedValue} holding it, or null inside for none. Null when only a disk read could
     * tell. For a caller that must not block (an event loop).
     */
    public CachedValue<V> getCached(String key) {
        MetadataStore.Cached c = catalog.store().getCached(storeKey(key));
        if (c == null) {
            return null;
        }
        return new CachedValue<>(c.value() == null ? null : codec.decode(c.value()));
    }

    /** Every entry whose key starts with {@code keyPrefix}, in key order. */
    public Map<String, V> list(String keyPrefix) {
        return list(keyPrefix, null, Integer.MAX_VALUE);
    }

    /**
     * At most {@code limit} entries whose keys start with {@code keyPrefix} and sort after
     * {@code startAfter} (null: from the first), in key order: a page of a large listing, such as
     * a directory read in pieces.
     */
    public Map<String, V> list(String keyPrefix, String startAfter, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit " + limit);
        }
        byte[] start = storeKey(keyPrefix);
        byte[] to = Arrays.copyOf(start, start.length + 1);
        to[to.length - 1] = (byte) 0xff; // UTF-8 never uses 0xff, so it sorts after every continuation
        byte[] from = start;
        if (startAfter != null) {
            byte[] after = storeKey(startAfter);
            byte[] next = Arrays.copyOf(after, after.length + 1); // the smallest key above startAfter
            if (Arrays.compareUnsigned(next, start) > 0) {
                from = next;
            }
        }
        Map<String, V> out = new LinkedHashMap<>();
        if (limit == 0) {
            return out;
        }
        int skip = 1 + prefixBytes; // the store's key-space byte, then the namespace
        catalog.store().scan(from, to, (k, v) -> {
            out.put(new String(k, skip, k.length - skip, StandardCharsets.UTF_8), codec.decode(v));
            return out.size() < limit;
        });
        return out;
    }

    /** Stores {@code value} under {@code key}; durable when this returns. */
    public void put(String key, V value) {
        catalog.await(stage(key, value));
    }

    /** Removes {@code key}; durable when this returns. */
    public void delete(String key) {
        catalog.await(stage(key, null));
    }

    /** Applies the puts (non-null values) and deletes (null values) atomically; durable when this returns. */
    public void apply(Map<String, ? extends V> changes) {
        catalog.await(stage(changes));
    }

    /**
     * Applies the changes atomically and visibly at once, durable once the returned ticket is
     * ({@link Catalog#await}, {@link Catalog#whenDurable}; any later commit of the pool makes it
     * so too, at the latest the background commit within a second). A crash keeps a prefix of
     * the changes staged, in the order they were staged.
     *
     * @throws StorageIoException a commit of this pool failed: it refuses changes until reopened
     */
    public long stage(Map<String, ? extends V> changes) {
        return catalog.pipeline().stageUnsynced(batchOf(changes));
    }

    /**
     * As {@link #stage}, unless the store would make the caller wait (throttling its writers):
     * then changes nothing and returns {@link Catalog#REFUSED}. For a caller that must not block,
     * which then leaves the change to a thread that may wait.
     */
    public long tryStage(Map<String, ? extends V> changes) {
        return catalog.pipeline().tryStageUnsynced(batchOf(changes));
    }

    private long stage(String key, V value) {
        return catalog.pipeline().stageUnsynced(put(new MetaBatch(), key, value));
    }

    private MetaBatch batchOf(Map<String, ? extends V> changes) {
        MetaBatch batch = new MetaBatch();
        changes.forEach((key, value) -> put(batch, key, value));
        return batch;
    }

    private MetaBatch put(MetaBatch batch, String key, V value) {
        return value == null ? batch.delete(storeKey(key)) : batch.put(storeKey(key), codec.encode(value));
    }

    private byte[] storeKey(String key) {
        return Keys.setting(prefix + key);
    }
}
