package io.depot.engine;

import static io.depot.engine.TestData.read;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The pool-full promise and bad input: clear errors, nothing changed, the pool keeps working. */
class SpaceAndErrorsTest extends PoolFixture {

    @Test
    void fullPoolFailsWritesClearlyAndRecoversAfterDeletes() {
        pool(new PoolOptions(65536, 16 * 65536, null));
        Volume a = pool.createVolume("a", GiB);
        Volume b = pool.createVolume("b", GiB);
        write(a, 0, 1, 10 * 65536);
        write(b, 0, 2, 6 * 65536);
        assertEquals(0, pool.usage().freeBytes());
        OutOfSpaceException e = assertThrows(OutOfSpaceException.class, () -> write(b, 20 * 65536, 3, 512));
        assertTrue(e.getMessage().contains("full"), e.getMessage());
        // overwrites of owned clusters need no space and still work; existing data is intact
        write(a, 0, 4, 65536);
        assertArrayEquals(expected(4, 0, 65536), read(a, 0, 65536));
        assertArrayEquals(expected(2, 0, 6 * 65536), read(b, 0, 6 * 65536));
        assertTrue(TestData.isZero(read(b, 20 * 65536, 512)), "failed write left nothing behind");
        // a snapshot makes every overwrite need a new cluster: it fails cleanly too
        Snapshot s = a.createSnapshot("s");
        assertThrows(OutOfSpaceException.class, () -> write(a, 0, 5, 512));
        assertArrayEquals(expected(4, 0, 65536), read(a, 0, 65536));
        assertArrayEquals(expected(4, 0, 65536), read(s, 0, 65536));
        // deleting data makes the space usable again, without a restart
        b.unmap(0, 6 * 65536);
        write(a, 0, 5, 512);
        write(a, 20 * 65536, 6, 4 * 65536);
        assertArrayEquals(expected(6, 20 * 65536, 4 * 65536), read(a, 20 * 65536, 4 * 65536));
        reopen();
        assertArrayEquals(expected(6, 20 * 65536, 4 * 65536), read(pool.volume("a"), 20 * 65536, 4 * 65536));
    }

    @Test
    void growCapacityAddsSpace() {
        pool(new PoolOptions(65536, 2 * 65536, null));
        Volume a = pool.createVolume("a", GiB);
        write(a, 0, 1, 2 * 65536);
        assertThrows(OutOfSpaceException.class, () -> write(a, 2 * 65536, 1, 512));
        pool.growCapacity(4 * 65536);
        write(a, 2 * 65536, 1, 512);
        reopen();
        assertEquals(4 * 65536, pool.usage().capacityBytes());
    }

    @Test
    void misalignedAndOutOfRangeIoIsRefusedAndChangesNothing() {
        Volume v = pool().createVolume("v", MiB);
        write(v, 0, 1, 4096);
        assertThrows(InvalidIoException.class, () -> v.write(100, ByteBuffer.allocate(512)));
        assertThrows(InvalidIoException.class, () -> v.write(0, ByteBuffer.allocate(100)));
        assertThrows(InvalidIoException.class, () -> v.write(MiB - 512, ByteBuffer.allocate(1024)));
        assertThrows(InvalidIoException.class, () -> v.write(-512, ByteBuffer.allocate(512)));
        assertThrows(InvalidIoException.class, () -> v.read(MiB, ByteBuffer.allocate(512)));
        assertThrows(InvalidIoException.class, () -> v.read(Long.MAX_VALUE - 511, ByteBuffer.allocate(512)));
        assertThrows(InvalidIoException.class, () -> v.unmap(0, MiB + 512));
        assertThrows(InvalidIoException.class, () -> v.compareAndWrite(0, ByteBuffer.allocate(512), ByteBuffer.allocate(1024)));
        assertArrayEquals(expected(1, 0, 4096), read(v, 0, 4096));
        assertEquals(65536, v.allocatedBytes());
        v.read(MiB - 512, ByteBuffer.allocate(512));   // the last sector is fine
        v.read(MiB, ByteBuffer.allocate(0));            // an empty request at the end is fine
    }

    @Test
    void unknownNamesAndBadArgumentsGetTypedErrors() {
        Pool p = pool();
        assertThrows(NoSuchVolumeException.class, () -> p.volume("nope"));
        assertThrows(NoSuchVolumeException.class, () -> p.volume(UUID.randomUUID()));
        Volume v = p.createVolume("v", MiB);
        assertThrows(NoSuchSnapshotException.class, () -> v.snapshot("nope"));
        assertThrows(NameInUseException.class, () -> p.createVolume("v", MiB));
        assertThrows(InvalidIoException.class, () -> p.createVolume("bad name", MiB));
        assertThrows(InvalidIoException.class, () -> p.createVolume("../x", MiB));
        assertThrows(InvalidIoException.class, () -> p.createVolume("w", 1000));
        assertThrows(InvalidIoException.class, () -> p.createVolume("w", (64L << 40) + 512));
        assertThrows(InvalidIoException.class, () -> v.shrink(0));
        assertEquals(1, p.volumes().size());
    }

    @Test
    void poolCreationIsValidatedAndNotRepeated() {
        assertThrows(InvalidIoException.class, () -> Pool.create(dir.resolve("a"), new PoolOptions(3000, MiB, null)));
        assertThrows(InvalidIoException.class, () -> Pool.create(dir.resolve("b"), new PoolOptions(65536, 1000, null)));
        pool();
        assertThrows(PoolFormatException.class, () -> Pool.create(dir.resolve("pool"), PoolOptions.ofCapacity(MiB)));
        assertThrows(PoolFormatException.class, () -> Pool.open(dir.resolve("missing")));
    }

    @Test
    void usageReportsVolumesSnapshotsAndOvercommit() {
        Pool p = pool();
        Volume a = p.createVolume("a", GiB);
        p.createVolume("b", GiB);
        write(a, 0, 1, 3 * 65536);
        a.createSnapshot("s");
        PoolUsage u = p.usage();
        assertEquals(256 * MiB, u.capacityBytes());
        assertEquals(3 * 65536, u.usedBytes());
        assertEquals(256 * MiB - 3 * 65536, u.freeBytes());
        assertEquals(2 * GiB, u.provisionedBytes());
        assertEquals(8.0, u.overcommitRatio(), 1e-9);
        assertEquals(2, u.volumes());
        assertEquals(1, u.snapshots());
        assertEquals(65536, u.clusterSize());
    }
}
