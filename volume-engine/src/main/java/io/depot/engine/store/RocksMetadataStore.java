package io.depot.engine.store;

import io.depot.engine.StorageIoException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.BiPredicate;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.CompressionType;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.ReadTier;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Status;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * {@link MetadataStore} on RocksDB. This class owns every native RocksDB object and closes
 * them in reverse order of creation; {@link RocksDBException} is wrapped here and nowhere else.
 */
public final class RocksMetadataStore implements MetadataStore {
    static {
        RocksDB.loadLibrary();
    }

    private final LRUCache blockCache;
    private final Options options;
    private final WriteOptions syncWrite;
    private final WriteOptions unsyncedWrite;
    /** Unsynced, and failing with Incomplete instead of sleeping when RocksDB would stall the writer. */
    private final WriteOptions unsyncedNoWait;
    private final ReadOptions readOptions;
    /** Memtables and block cache only: a read that would need the files fails with Incomplete. */
    private final ReadOptions cachedRead;
    private final RocksDB db;
    /**
     * Guards the native handles: every call holds the read side, close takes the write side and
     * marks the store closed. A thread that races with close (a background deleter, a late commit)
     * gets an exception instead of touching a freed RocksDB handle, which would crash the JVM.
     */
    private final java.util.concurrent.locks.ReentrantReadWriteLock guard = new java.util.concurrent.locks.ReentrantReadWriteLock();
    private boolean closed;

    public RocksMetadataStore(Path dir) {
        blockCache = new LRUCache(64L << 20);
        BlockBasedTableConfig table = new BlockBasedTableConfig()
                .setBlockCache(blockCache)
                .setFilterPolicy(new BloomFilter(10, false))
                .setWholeKeyFiltering(false);
        options = new Options()
                .setCreateIfMissing(true)
                .setCompressionType(CompressionType.LZ4_COMPRESSION)
                .setTableFormatConfig(table)
                .setMaxBackgroundJobs(2)
                .setKeepLogFileNum(5);
        syncWrite = new WriteOptions().setSync(true);
        unsyncedWrite = new WriteOptions().setSync(false);
        unsyncedNoWait = new WriteOptions().setSync(false).setNoSlowdown(true);
        readOptions = new ReadOptions();
        cachedRead = new ReadOptions().setReadTier(ReadTier.BLOCK_CACHE_TIER);
        try {
            db = RocksDB.open(options, dir.toString());
        } catch (RocksDBException e) {
            closeOptions();
            throw new StorageIoException("cannot open metadata store at " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public byte[] get(byte[] key) {
        enter();
        try {
            return db.get(readOptions, key);
        } catch (RocksDBException e) {
            throw new StorageIoException("metadata read failed: " + e.getMessage(), e);
        } finally {
            leave();
        }
    }

    @Override
    public Cached getCached(byte[] key) {
        enter();
        try {
            return new Cached(db.get(cachedRead, key));
        } catch (RocksDBException e) {
            if (e.getStatus() != null && e.getStatus().getCode() == Status.Code.Incomplete) {
                return null; // the answer is in a table file whose block is not cached
            }
            throw new StorageIoException("metadata read failed: " + e.getMessage(), e);
        } finally {
            leave();
        }
    }

    @Override
    public Entry floor(byte[] key, byte[] lowest) {
        enter();
        try (RocksIterator it = db.newIterator(readOptions)) {
            it.seekForPrev(key);
            if (!it.isValid()) {
                it.status();
                return null;
            }
            byte[] found = it.key();
            return Arrays.compareUnsigned(found, lowest) < 0 ? null : new Entry(found, it.value());
        } catch (RocksDBException e) {
            throw new StorageIoException("metadata seek failed: " + e.getMessage(), e);
        } finally {
            leave();
        }
    }

    @Override
    public void scan(byte[] from, byte[] to, BiPredicate<byte[], byte[]> visitor) {
        enter();
        try (Slice upper = new Slice(to);
             ReadOptions ro = new ReadOptions().setIterateUpperBound(upper);
             RocksIterator it = db.newIterator(ro)) {
            for (it.seek(from); it.isValid(); it.next()) {
                if (!visitor.test(it.key(), it.value())) {
                    return;
                }
            }
            it.status();
        } catch (RocksDBException e) {
            throw new StorageIoException("metadata scan failed: " + e.getMessage(), e);
        } finally {
            leave();
        }
    }

    @Override
    public void write(MetaBatch batch) {
        write(batch, syncWrite);
    }

    /** The batch reaches the WAL file (manual_wal_flush is off) but is not fsynced: see {@link #sync}. */
    @Override
    public void writeUnsynced(MetaBatch batch) {
        write(batch, unsyncedWrite);
    }

    /** With no_slowdown: a write RocksDB would delay or stop (memtables full, too many L0 files) fails with Incomplete. */
    @Override
    public boolean tryWriteUnsynced(MetaBatch batch) {
        if (batch.isEmpty()) {
            return true;
        }
        enter();
        try (WriteBatch wb = toWriteBatch(batch)) {
            db.write(unsyncedNoWait, wb);
            return true;
        } catch (RocksDBException e) {
            if (e.getStatus() != null && e.getStatus().getCode() == Status.Code.Incomplete) {
                return false;
            }
            throw new StorageIoException("metadata commit failed: " + e.getMessage(), e);
        } finally {
            leave();
        }
    }

    @Override
    public void sync() {
        enter();
        try {
            db.syncWal();
        } catch (RocksDBException e) {
            throw new StorageIoException("metadata sync failed: " + e.getMessage(), e);
        } finally {
            leave();
        }
    }

    private void write(MetaBatch batch, WriteOptions how) {
        if (batch.isEmpty()) {
            return;
        }
        enter();
        try (WriteBatch wb = toWriteBatch(batch)) {
            db.write(how, wb);
        } catch (RocksDBException e) {
            throw new StorageIoException("metadata commit failed: " + e.getMessage(), e);
        } finally {
            leave();
        }
    }

    private static WriteBatch toWriteBatch(MetaBatch batch) throws RocksDBException {
        WriteBatch wb = new WriteBatch();
        try {
            for (MetaBatch.Op op : batch.ops()) {
                if (op.value() == null) {
                    wb.delete(op.key());
                } else {
                    wb.put(op.key(), op.value());
                }
            }
            return wb;
        } catch (RocksDBException | RuntimeException e) {
            wb.close();
            throw e;
        }
    }

    private void enter() {
        guard.readLock().lock();
        if (closed) {
            guard.readLock().unlock();
            throw new StorageIoException("the pool's metadata store is closed");
        }
    }

    private void leave() {
        guard.readLock().unlock();
    }

    @Override
    public void close() {
        guard.writeLock().lock(); // waits for calls in flight; later ones are refused
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            guard.writeLock().unlock();
        }
        try {
            db.syncWal();
        } catch (RocksDBException ignored) {
            // an unsynced batch not yet synced is lost, as its caller was told it could be
        }
        db.close();
        closeOptions();
    }

    /** Frees the native option objects: after the database, or in its place when it did not open. */
    private void closeOptions() {
        cachedRead.close();
        readOptions.close();
        unsyncedNoWait.close();
        unsyncedWrite.close();
        syncWrite.close();
        options.close();
        blockCache.close();
    }
}
