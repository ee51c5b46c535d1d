package io.depot.engine.sim;

import io.depot.engine.StorageIoException;
import io.depot.engine.store.MetaBatch;
import io.depot.engine.store.MetadataStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiPredicate;

/**
 * An in-memory {@link MetadataStore} with RocksDB's semantics: keys ordered as unsigned bytes,
 * atomic batches, scans over a consistent view. Every batch is durable when {@link #write} returns
 * (the engine writes synced batches), so a power cut keeps every completed write; a batch in
 * flight at the crash point lands whole or not at all.
 */
public final class SimulatedMetadataStore implements MetadataStore {
    private final TreeMap<byte[], byte[]> map = new TreeMap<>(Arrays::compareUnsigned);
    private final CrashSwitch crashSwitch;
    private long writes;
    private long failAtWrite = -1;

    public SimulatedMetadataStore(CrashSwitch crashSwitch) {
        this.crashSwitch = crashSwitch;
    }

    /** The {@code n}-th batch written from now (1 = the next) fails with a {@link StorageIoException} and is not applied. */
    public void failWrite(long n) {
        failAtWrite = writes + n;
    }

    public long writes() { return writes; }

    public int size() { return map.size(); }

    @Override
    public byte[] get(byte[] key) {
        crashSwitch.failIfTripped();
        byte[] v = map.get(key);
        return v == null ? null : v.clone();
    }

    @Override
    public Entry floor(byte[] key, byte[] lowest) {
        crashSwitch.failIfTripped();
        Map.Entry<byte[], byte[]> e = map.floorEntry(key);
        if (e == null || Arrays.compareUnsigned(e.getKey(), lowest) < 0) {
            return null;
        }
        return new Entry(e.getKey().clone(), e.getValue().clone());
    }

    @Override
    public void scan(byte[] from, byte[] to, BiPredicate<byte[], byte[]> visitor) {
        crashSwitch.failIfTripped();
        if (Arrays.compareUnsigned(from, to) >= 0) {
            return;
        }
        // like a RocksDB iterator: a view fixed at the start, unaffected by writes during the scan
        List<Map.Entry<byte[], byte[]>> view = new ArrayList<>(map.subMap(from, true, to, false).entrySet());
        for (Map.Entry<byte[], byte[]> e : view) {
            if (!visitor.test(e.getKey().clone(), e.getValue().clone())) {
                return;
            }
        }
    }

    @Override
    public void write(MetaBatch batch) {
        boolean crashNow = crashSwitch.reachCall();
        if (crashNow) {
            // the power went during the synced write: it either reached the log or it did not
            if (crashSwitch.random().nextBoolean()) {
                apply(batch);
            }
            throw new SimulatedCrash();
        }
        writes++;
        if (writes == failAtWrite) {
            failAtWrite = -1;
            throw new StorageIoException("simulated metadata write failure (batch " + writes + ", " + batch.size() + " ops)");
        }
        apply(batch);
    }

    private void apply(MetaBatch batch) {
        for (MetaBatch.Op op : batch.ops()) {
            if (op.value() == null) {
                map.remove(op.key());
            } else {
                map.put(op.key().clone(), op.value().clone());
            }
        }
    }

    /** Closing keeps the contents: the simulation reopens an engine on the same store. */
    @Override
    public void close() {}
}
