package io.depot.nfs.fs;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A datastore on a real 1 GiB pool in a temporary directory that a test can "crash": the pool
 * closes without the datastore's close, and reopening it shows what was durable.
 */
abstract class CrashReopenFixture {
    static final long ROOT = Datastore.ROOT;

    @TempDir
    Path tmp;
    Pool pool;
    Datastore fs;

    /** Opens the pool (creating it the first time) and the datastore on it. */
    void open() {
        Path dir = tmp.resolve("pool");
        pool = Pool.exists(dir) ? Pool.open(dir) : Pool.create(dir, PoolOptions.ofCapacity(1L << 30));
        fs = Datastore.open(pool);
    }

    /** Closes the pool under the datastore (what it left unsynced is lost) and opens both again. */
    void crashAndReopen() {
        pool.close();
        open();
    }

    @AfterEach
    void closePool() {
        if (pool != null) {
            pool.close();
        }
    }
}
