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
 * Every change is synced before the call returns. Not for hot-path data.
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

    /** Stores {@code value} under {@code name}, durably. */
    public void put(String name, byte[] value) {
        meta.write(new MetaBatch().put(Keys.setting(name), value));
    }

    /** Applies several puts (non-null values) and deletes (null values) atomically and durably. */
    public void apply(Map<String, byte[]> changes) {
        MetaBatch batch = new MetaBatch();
        changes.forEach((name, value) -> {
            if (value == null) {
                batch.delete(Keys.setting(name));
            } else {
                batch.put(Keys.setting(name), value);
            }
        });
        meta.write(batch);
    }

    public void delete(String name) {
        meta.write(new MetaBatch().delete(Keys.setting(name)));
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
