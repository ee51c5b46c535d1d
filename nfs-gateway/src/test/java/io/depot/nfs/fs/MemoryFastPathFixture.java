package io.depot.nfs.fs;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.nfs.fs.VirtualFileSystem.CreateMode;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A datastore on a fresh 1 GiB pool for the tests of its {@link MemoryFastPath}, and files to try it on. */
abstract class MemoryFastPathFixture {
    static final Caller ALICE = new Caller(1000, 1000, new int[0]);
    static final int MiB = 1 << 20;

    @TempDir
    Path tmp;
    Pool pool;
    Datastore fs;

    @BeforeEach
    void open() {
        pool = Pool.create(tmp.resolve("pool"), PoolOptions.ofCapacity(1L << 30));
        fs = Datastore.open(pool);
    }

    @AfterEach
    void close() {
        fs.close();
        pool.close();
    }

    /** A new file in the root with {@code mode}, holding {@code content} (durably). */
    Inode fileWith(String name, byte[] content, int mode) {
        Inode f = fs.create(Caller.ROOT, Datastore.ROOT, name, new SetAttributes(mode, null, null, null, null, null),
                CreateMode.GUARDED, 0).object();
        if (content.length > 0) {
            fs.write(Caller.ROOT, f.ino(), 0, ByteBuffer.wrap(content), Stability.FILE_SYNC);
        }
        return fs.getattr(f.ino());
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
