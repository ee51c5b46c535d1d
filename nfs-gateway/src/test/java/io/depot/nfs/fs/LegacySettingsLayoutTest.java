package io.depot.nfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.Settings;
import io.depot.nfs.fs.VirtualFileSystem.CreateMode;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The datastore's records moved from {@link Settings} names ({@code nfs/i/...}) to the catalog
 * namespace {@code nfs} without a migration: a pool whose namespace was written through the old
 * setting names opens and reads as before.
 */
class LegacySettingsLayoutTest {
    @TempDir
    Path tmp;

    @Test
    void aNamespaceWrittenThroughSettingNamesIsReadThroughTheCatalogNamespace() {
        Map<String, byte[]> records;
        long dirIno;
        try (Pool pool = Pool.create(tmp.resolve("a"), PoolOptions.ofCapacity(256L << 20))) {
            Datastore fs = Datastore.open(pool);
            dirIno = fs.mkdir(Caller.ROOT, Datastore.ROOT, "dir", SetAttributes.NONE).object().ino();
            fs.create(Caller.ROOT, dirIno, "file", SetAttributes.NONE, CreateMode.GUARDED, 0);
            fs.close();
            records = NamespaceKeys.of(pool).list("");
            // the catalog put each record exactly where the setting "nfs/<key>" was
            Map<String, byte[]> legacy = pool.settings().list("nfs/");
            assertEquals(records.size(), legacy.size());
            records.forEach((k, v) -> assertArrayEquals(v, legacy.get("nfs/" + k), k));
        }
        // a pool written by a build before the catalog: the same records under setting names
        try (Pool pool = Pool.create(tmp.resolve("b"), PoolOptions.ofCapacity(256L << 20))) {
            Map<String, byte[]> asSettings = new HashMap<>();
            records.forEach((k, v) -> asSettings.put("nfs/" + k, v));
            pool.settings().apply(asSettings);
        }
        try (Pool pool = Pool.open(tmp.resolve("b"))) {
            Datastore fs = Datastore.open(pool);
            Inode dir = fs.lookup(Caller.ROOT, Datastore.ROOT, "dir");
            assertEquals(dirIno, dir.ino());
            assertNotNull(fs.lookup(Caller.ROOT, dir.ino(), "file"));
            assertEquals(1, fs.readdir(Caller.ROOT, dir.ino(), 0, 100, false).entries().stream()
                    .filter(e -> e.name().equals("file")).count());
            fs.close();
        }
    }
}
