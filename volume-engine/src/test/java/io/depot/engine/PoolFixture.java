package io.depot.engine;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** A fresh pool on a real RocksDB and data file for each test; reopen() simulates a clean restart. */
abstract class PoolFixture {
    static final long MiB = 1L << 20;
    static final long GiB = 1L << 30;

    @TempDir Path dir;
    Pool pool;

    Pool pool() {
        if (pool == null) {
            pool = Pool.create(dir.resolve("pool"), PoolOptions.ofCapacity(256 * MiB));
        }
        return pool;
    }

    Pool pool(PoolOptions options) {
        pool = Pool.create(dir.resolve("pool"), options);
        return pool;
    }

    Pool reopen() {
        pool.close();
        pool = Pool.open(dir.resolve("pool"));
        return pool;
    }

    void write(Volume v, long offset, long seed, int length) {
        v.write(offset, TestData.pattern(seed, offset, length));
    }

    byte[] expected(long seed, long offset, int length) {
        return TestData.bytes(TestData.pattern(seed, offset, length));
    }

    @AfterEach
    void closePool() {
        if (pool != null) {
            try {
                org.junit.jupiter.api.Assertions.assertEquals(java.util.List.of(), pool.verify(), "scrub after test");
            } finally {
                pool.close();
            }
        }
    }
}
