package io.depot.nfs.fs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.VolumeOwner;
import io.depot.nfs.fs.VirtualFileSystem.CreateMode;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pools written by builds before the catalog and volume owners open without a migration: the
 * datastore's records moved from setting names ({@code nfs/i/...}) to the catalog namespace
 * {@code nfs} at the same stored keys (the engine's {@code CatalogTest} pins that a namespace key is
 * stored where the setting of that full name was), so a datastore opens from its records as they
 * lie; and the file volumes an older build made without an owner are adopted by the datastore at open.
 */
class OlderBuildPoolTest {
    @TempDir
    Path tmp;

    @Test
    void aDatastoreOpensFromItsStoredRecordsAlone() {
        Map<String, byte[]> records;
        long dirIno;
        try (Pool pool = Pool.create(tmp.resolve("a"), PoolOptions.ofCapacity(256L << 20))) {
            Datastore fs = Datastore.open(pool);
            dirIno = fs.mkdir(Caller.ROOT, Datastore.ROOT, "dir", SetAttributes.NONE).object().ino();
            fs.create(Caller.ROOT, dirIno, "file", SetAttributes.NONE, CreateMode.GUARDED, 0);
            fs.close();
            records = NamespaceKeys.of(pool).list("");
            assertFalse(records.isEmpty());
        }
        // another pool holding nothing but those records, as a build before the catalog left them
        try (Pool pool = Pool.create(tmp.resolve("b"), PoolOptions.ofCapacity(256L << 20))) {
            pool.catalog().namespace("nfs").apply(records);
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

    @Test
    void fileVolumesMadeWithoutAnOwnerAreAdoptedAtOpenAndAUsersVolumeIsLeftAlone() {
        Path dir = tmp.resolve("c");
        String live;
        String frozenOnly;
        try (Pool pool = Pool.create(dir, PoolOptions.ofCapacity(256L << 20))) {
            Datastore fs = Datastore.open(pool);
            fs.makeDirectories("/export");
            long export = fs.resolve("/export").ino();
            for (String name : new String[] {"live", "removed"}) {
                long ino = fs.create(Caller.ROOT, export, name, SetAttributes.NONE, CreateMode.GUARDED, 0).object().ino();
                fs.write(Caller.ROOT, ino, 0, ByteBuffer.wrap(new byte[] {1, 2, 3}), Stability.FILE_SYNC);
            }
            live = fs.volumeOf(fs.lookup(Caller.ROOT, export, "live").ino()).name();
            frozenOnly = fs.volumeOf(fs.lookup(Caller.ROOT, export, "removed").ino()).name();
            fs.createExportSnapshot("/export", "s");
            fs.remove(Caller.ROOT, export, "removed"); // its volume stays for the snapshot
            fs.close();
            pool.createVolume("users", 1 << 20);
            for (String name : new String[] {live, frozenOnly}) {
                assertEquals(VolumeOwner.nfsFile("nfs"), pool.volume(name).owner(), "made owned by the datastore");
                pool.volume(name).setOwner(VolumeOwner.USER); // as an older build left it
            }
        }
        try (Pool pool = Pool.open(dir)) {
            Datastore fs = Datastore.open(pool);
            assertEquals(VolumeOwner.nfsFile("nfs"), pool.volume(live).owner(), "a live file's volume");
            assertEquals(VolumeOwner.nfsFile("nfs"), pool.volume(frozenOnly).owner(), "a volume only a snapshot keeps");
            assertEquals(VolumeOwner.USER, pool.volume("users").owner());
            fs.close();
        }
    }
}
