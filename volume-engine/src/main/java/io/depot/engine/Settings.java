package io.depot.engine;

import io.depot.engine.core.Keys;
import io.depot.engine.store.MetaBatch;
import io.depot.engine.store.MetadataStore;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Small durable key/value settings that live with a pool, so configuration above the engine
 * (iSCSI targets, ACLs, persistent reservations, NFS exports) survives restarts and moves with
 * the pool. Names are UTF-8 strings; by convention a layer prefixes its own ({@code iscsi/...}).
 * Every change is synced before the call returns, except through {@link #applyUnsynced}, which
 * leaves the sync to a later {@link #sync} (group commit by the caller). Not for hot-path data.
 */
public final class Settings {
    private final MetadataStore meta;

    public Settings(MetadataStore meta) {
        this.meta = meta;
    }

    /** The value stored under {@code name}, or null. */
    public byte[] get(String name) {
        return meta.get(Keys.setting(name));
    }

    /**
     * The value under {@code name} if the store can tell without reading from disk: a
     * {@link MetadataStore.Cached} holding the value, or null inside for none. Null when only a
     * disk read could tell. For a caller that must not block (an event loop).
     */
    public MetadataStore.Cached getCached(String name) {
        return meta.getCached(Keys.setting(name));
    }

    /** Stores {@code value} under {@code name}, durably. */
    public void put(String name, byte[] value) {
        meta.write(new MetaBatch().put(Keys.setting(name), value));
    }

    /** Applies several puts (non-null values) and deletes (null values) atomically and durably. */
    public void apply(Map<String, byte[]> changes) {
        meta.write(batchOf(changes));
    }

    /**
     * Applies the changes atomically and visibly, but durably only once a later {@link #sync}
     * (or any durable change of this pool) returns. A crash keeps a prefix of the changes made
     * this way, in the order they were applied: never a change without those before it.
     */
    public void applyUnsynced(Map<String, byte[]> changes) {
        meta.writeUnsynced(batchOf(changes));
    }

    /**
     * As {@link #applyUnsynced}, unless the store would make the caller wait (RocksDB throttling
     * writers): then changes nothing and returns false. For a caller that must not block (an
     * event loop), which then leaves the change to a thread that may wait.
     */
    public boolean tryApplyUnsynced(Map<String, byte[]> changes) {
        return meta.tryWriteUnsynced(batchOf(changes));
    }

    /** Makes every change applied before this call durable (one sync of the metadata log). */
    public void sync() {
        meta.sync();
    }

    private static MetaBatch batchOf(Map<String, byte[]> changes) {
        MetaBatch batch = new MetaBatch();
        changes.forEach((name, value) -> {
            if (value == null) {
                batch.delete(Keys.setting(name));
            } else {
                batch.put(Keys.setting(name), value);
            }
        });
        return batch;
    }

    public void delete(String name) {
        meta.write(new MetaBatch().delete(Keys.setting(name)));
    }

    /**
     * At most {@code limit} settings whose names start with {@code prefix} and sort after
     * {@code startAfter} (null: from the first), in name order: a page of a large listing, such
     * as a directory read in pieces. Names compare as their UTF-8 bytes, unsigned.
     */
    public Map<String, byte[]> list(String prefix, String startAfter, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit " + limit);
        }
        byte[] start = Keys.setting(prefix);
        byte[] to = Arrays.copyOf(start, start.length + 1);
        to[to.length - 1] = (byte) 0xff;
        byte[] from = start;
        if (startAfter != null) {
            byte[] after = Keys.setting(startAfter);
            byte[] next = Arrays.copyOf(after, after.length + 1); // the smallest key above startAfter
            if (Arrays.compareUnsigned(next, start) > 0) {
                from = next;
            }
        }
        Map<String, byte[]> out = new LinkedHashMap<>();
        if (limit == 0) {
            return out;
        }
        meta.scan(from, to, (k, v) -> {
            out.put(new String(k, 1, k.length - 1, StandardCharsets.UTF_8), v);
            return out.size() < limit;
        });
        return out;
    }

    /** Every setting whose name starts with {@code prefix}, in name order. */
    public Map<String, byte[]> list(String prefix) {
        byte[] from = Keys.setting(prefix);
        byte[] to = Arrays.copyOf(from, from.length + 1);
        to[to.length - 1] = (byte) 0xff; // UTF-8 never uses 0xff, so it sorts after every continuation
        Map<String, byte[]> out = new LinkedHashMap<>();
        meta.scan(from, to, (k, v) -> {
            out.put(new String(k, 1, k.length - 1, StandardCharsets.UTF_8), v);
            return true;
        });
        return out;
    }
}
