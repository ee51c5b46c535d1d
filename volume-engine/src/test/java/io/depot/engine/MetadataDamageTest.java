package io.depot.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.rocksdb.CompressionType;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/**
 * Damage to the metadata (bytes changed inside a RocksDB table file of a closed pool's {@code meta/})
 * is reported as such, never silently skipped: RocksDB checks each block's checksum when it reads it
 * (the store's read options keep {@code verify_checksums} at its default, true). A damaged block of
 * mappings fails the open (which scans every mapping); a damaged block of catalog records, which the
 * open does not read, fails the lookups and listings that need it instead of answering "absent".
 */
class MetadataDamageTest extends PoolFixture {

    /** Moves everything of the closed pool's RocksDB into table files (a closed store may keep it in its log). */
    private void flushToTables() throws Exception {
        RocksDB.loadLibrary();
        try (Options o = new Options().setCompressionType(CompressionType.LZ4_COMPRESSION);
             RocksDB db = RocksDB.open(o, dir.resolve("pool/meta").toString());
             FlushOptions f = new FlushOptions().setWaitForFlush(true)) {
            db.flush(f);
            db.compactRange();
        }
    }

    private Path largestTable() throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("pool/meta"))) {
            return files.filter(p -> p.getFileName().toString().endsWith(".sst"))
                    .max(Comparator.comparingLong(p -> p.toFile().length()))
                    .orElseThrow(() -> new AssertionError("no table file in meta/"));
        }
    }

    /** Changes 16 bytes at {@code fraction} of the table file (inside its data blocks, before the index and footer). */
    private static void damage(Path table, double fraction) {
        long at = (long) (table.toFile().length() * fraction);
        for (int i = 0; i < 16; i++) {
            DataFileBlocks.flip(table, at + i, 0xa5);
        }
    }

    @Test
    void aDamagedBlockOfMappingsFailsTheOpenNamingTheCorruption() throws Exception {
        Volume v = pool().createVolume("v", 256 * MiB);
        for (long at = 0; at < 256 * MiB; at += MiB) {
            write(v, at, 1, (int) MiB);   // 4,096 mappings with their CRCs: a few hundred KiB of table
        }
        pool.close();
        flushToTables();
        Path table = largestTable();
        assertTrue(table.toFile().length() > 200_000, table + " is " + table.toFile().length() + " bytes");
        damage(table, 0.4);
        pool = null;
        StorageIoException e = assertThrows(StorageIoException.class, () -> Pool.open(dir.resolve("pool")));
        assertTrue(e.getMessage().contains("block checksum mismatch"), e.getMessage());
        System.err.println("open of a pool with a damaged mapping block: " + e.getMessage());
    }

    @Test
    void aDamagedBlockOfCatalogRecordsFailsTheLookupsThatNeedIt() throws Exception {
        pool().createVolume("v", 16 * MiB);
        CatalogNamespace<byte[]> ns = pool.catalog().namespace("zz");
        Random r = new Random(3);
        Map<String, byte[]> records = new HashMap<>();
        for (int i = 0; i < 2000; i++) {
            byte[] value = new byte[200];
            r.nextBytes(value);   // incompressible: the records fill ~100 blocks
            records.put(String.format("k%05d", i), value);
        }
        ns.apply(records);
        pool.close();
        flushToTables();
        Path table = largestTable();
        damage(table, 0.5);
        pool = Pool.open(dir.resolve("pool"));   // the open reads no catalog record
        CatalogNamespace<byte[]> after = pool.catalog().namespace("zz");
        int failed = 0;
        for (var e : records.entrySet()) {
            try {
                byte[] got = after.get(e.getKey());
                assertArrayEquals(e.getValue(), got, "record " + e.getKey() + " answered, and wrongly");
            } catch (StorageIoException damaged) {
                assertTrue(damaged.getMessage().contains("block checksum mismatch"), damaged.getMessage());
                failed++;
            }
        }
        assertTrue(failed > 0, "the damaged block's records were answered as if intact");
        StorageIoException listing = assertThrows(StorageIoException.class, () -> after.list(""));
        assertTrue(listing.getMessage().contains("block checksum mismatch"), listing.getMessage());
        System.err.println(failed + " of " + records.size() + " catalog lookups reported the damaged block; listing: " + listing.getMessage());
    }
}
