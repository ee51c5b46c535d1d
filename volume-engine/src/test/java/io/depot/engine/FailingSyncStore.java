package io.depot.engine;

import io.depot.engine.store.MetaBatch;
import io.depot.engine.store.MetadataStore;
import io.depot.engine.store.RocksMetadataStore;
import java.nio.file.Path;
import java.util.function.BiPredicate;

/** A real RocksDB store whose syncs (synced writes and log syncs) fail once {@link #failSyncs} was called. */
final class FailingSyncStore implements MetadataStore {
    private final RocksMetadataStore store;
    private volatile boolean failing;

    FailingSyncStore(Path dir) {
        this.store = new RocksMetadataStore(dir);
    }

    void failSyncs() { failing = true; }

    private void failIfArmed() {
        if (failing) {
            throw new StorageIoException("injected metadata sync failure");
        }
    }

    @Override
    public byte[] get(byte[] key) { return store.get(key); }

    @Override
    public Cached getCached(byte[] key) { return store.getCached(key); }

    @Override
    public Entry floor(byte[] key, byte[] lowest) { return store.floor(key, lowest); }

    @Override
    public void scan(byte[] from, byte[] to, BiPredicate<byte[], byte[]> visitor) { store.scan(from, to, visitor); }

    @Override
    public void write(MetaBatch batch) {
        failIfArmed();
        store.write(batch);
    }

    @Override
    public void writeUnsynced(MetaBatch batch) { store.writeUnsynced(batch); }

    @Override
    public boolean tryWriteUnsynced(MetaBatch batch) { return store.tryWriteUnsynced(batch); }

    @Override
    public void sync() {
        failIfArmed();
        store.sync();
    }

    @Override
    public void close() { store.close(); }
}
