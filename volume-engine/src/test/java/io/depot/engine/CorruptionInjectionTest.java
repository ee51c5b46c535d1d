package io.depot.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Fault injection on the real data file: for each of the head, a snapshot's own blocks and a linked
 * clone's origin blocks, 100 random single-byte and 100 random whole-block (4 KiB) corruptions, half
 * made while the pool is closed (then reopened) and half under the running pool after a flush.
 * Every one must be detected by the next read that touches the block (a random request around it:
 * 512 bytes to 1 MiB, starting before, inside or at the block), never returned as data, and reported
 * with the volume, snapshot and the first damaged byte of the request; the ledger must name the block.
 */
class CorruptionInjectionTest extends PoolFixture {
    private static final int BLOCK = 4096;
    private static final long SIZE = 32 * MiB;
    private static final int[] LENGTHS = {512, BLOCK, 65536, (int) MiB};
    private static final int PER_KIND = 100;
    private static final int PER_REOPEN = 10;

    private enum Where { HEAD, SNAPSHOT, CLONE_ORIGIN }

    private final Random random = new Random(14);

    @Test
    void everyCorruptionOfTheHeadIsDetected() { run(Where.HEAD); }

    @Test
    void everyCorruptionOfASnapshotsOwnBlocksIsDetected() { run(Where.SNAPSHOT); }

    @Test
    void everyCorruptionOfALinkedClonesOriginIsDetected() { run(Where.CLONE_ORIGIN); }

    private void run(Where where) {
        Volume v = pool().createVolume("v", SIZE);
        fill(v, 1);
        if (where == Where.SNAPSHOT) {
            v.createSnapshot("s");
            fill(v, 2);          // whole clusters: the snapshot keeps the only copy of seed 1
        } else if (where == Where.CLONE_ORIGIN) {
            v.createSnapshot("s").linkedClone("c");
        }
        pool.flush();
        DataFileBlocks blocks = DataFileBlocks.scan(DataFileBlocks.dataFile(pool));

        List<Long> order = new ArrayList<>();
        for (long b = 0; b < SIZE; b += BLOCK) {
            order.add(b);
        }
        java.util.Collections.shuffle(order, random);
        int next = 0;
        int detected = 0;
        for (boolean wholeBlock : new boolean[] {false, true}) {
            // half with the pool closed, a batch per reopen
            for (int batch = 0; batch < PER_KIND / 2 / PER_REOPEN; batch++) {
                pool.close();
                List<Damage> damaged = new ArrayList<>();
                for (int k = 0; k < PER_REOPEN; k++) {
                    damaged.add(corrupt(blocks, order.get(next++), wholeBlock));
                }
                pool = Pool.open(dir.resolve("pool"));
                TreeSet<Long> pending = new TreeSet<>();
                damaged.forEach(d -> pending.add(d.logical));
                for (Damage d : damaged) {
                    detectAndRepair(where, d, pending);
                    detected++;
                }
            }
            // half under the running pool, each after a flush
            for (int k = 0; k < PER_KIND / 2; k++) {
                pool.flush();
                Damage d = corrupt(blocks, order.get(next++), wholeBlock);
                TreeSet<Long> pending = new TreeSet<>(List.of(d.logical));
                detectAndRepair(where, d, pending);
                detected++;
            }
        }
        assertEquals(2 * PER_KIND, detected);
        // nothing else was hurt: every block reads back as written
        Volume head = pool.volume("v");
        assertArrayEquals(expected(where == Where.SNAPSHOT ? 2 : 1, 0, (int) SIZE), TestData.read(head, 0, (int) SIZE));
        if (where == Where.SNAPSHOT) {
            assertArrayEquals(expected(1, 0, (int) SIZE), TestData.read(head.snapshot("s"), 0, (int) SIZE));
        } else if (where == Where.CLONE_ORIGIN) {
            assertArrayEquals(expected(1, 0, (int) SIZE), TestData.read(pool.volume("c"), 0, (int) SIZE));
        }
        int left = where == Where.HEAD ? 0 : 2 * PER_KIND;   // a snapshot's block is repaired behind the pool's back: still listed
        assertEquals(left, pool.integrity().damage().size());
    }

    private void fill(Volume v, long seed) {
        for (long at = 0; at < SIZE; at += MiB) {
            write(v, at, seed, (int) MiB);
        }
    }

    /** A block changed on disk: where it is in the volume and the data file, and its good bytes. */
    private record Damage(long logical, long phys, byte[] good) {}

    private Damage corrupt(DataFileBlocks blocks, long logical, boolean wholeBlock) {
        long phys = blocks.locate(1, logical);
        Path file = DataFileBlocks.dataFile(pool);
        byte[] good;
        if (wholeBlock) {
            byte[] junk = new byte[BLOCK];
            random.nextBytes(junk);
            good = DataFileBlocks.replace(file, phys, junk);
        } else {
            good = DataFileBlocks.flip(file, phys + random.nextInt(BLOCK), 1 + random.nextInt(255));
        }
        assertArrayEquals(expected(1, logical, BLOCK), good, "the block found is the one meant");
        return new Damage(logical, phys, good);
    }

    /**
     * Reads a random request that touches the damaged block and no other block still damaged; the
     * read must fail with the first damaged byte of the request. Then repairs the block: the head's
     * by overwriting it, a snapshot's (which cannot be written) by restoring its bytes on disk.
     */
    private void detectAndRepair(Where where, Damage d, TreeSet<Long> pending) {
        long b = d.logical;
        int length = LENGTHS[random.nextInt(LENGTHS.length)];
        long lowest = Math.max(0, b - length + 512);
        long highest = Math.min(SIZE - length, b + BLOCK - 512);
        long start = lowest + 512L * random.nextInt((int) ((highest - lowest) / 512 + 1));
        Long other = pending.ceiling(start - BLOCK + 1);
        while (other != null && other < start + length && other == b) {
            other = pending.higher(other);
        }
        if (other != null && other < start + length) {
            length = 512;   // another damaged block is in reach: ask for this one's sectors only
            start = b + 512L * random.nextInt(BLOCK / 512);
        }
        long offset = start;
        ByteBuffer dst = random.nextBoolean() ? ByteBuffer.allocate(length) : ByteBuffer.allocateDirect(length);
        String snapshot = where == Where.HEAD ? null : "s";
        DataCorruptionException e = assertThrows(DataCorruptionException.class, () -> reader(where).read(offset, dst),
                () -> "damage at " + b + " (data file " + d.phys + ") returned as data by a read of " + dst.capacity() + " at " + offset);
        assertEquals("v", e.volume());
        assertEquals(snapshot, e.snapshot());
        assertEquals(Math.max(b, offset), e.offset(), e.getMessage());
        DamagedBlock recorded = pool.integrity().damage().stream().filter(x -> x.physicalOffset() == d.phys).findFirst()
                .orElseThrow(() -> new AssertionError("not in the ledger: " + d));
        assertEquals(b, recorded.offset());
        assertEquals("v", recorded.volume());
        assertEquals(snapshot, recorded.snapshot());

        if (where == Where.HEAD) {
            pool.volume("v").write(b, ByteBuffer.wrap(d.good));
            assertTrue(pool.integrity().damage().stream().noneMatch(x -> x.physicalOffset() == d.phys), "cleared by the overwrite");
        } else {
            DataFileBlocks.write(DataFileBlocks.dataFile(pool), d.phys, d.good);
        }
        assertArrayEquals(d.good, read(where, b, BLOCK), "repaired");
        pending.remove(b);
    }

    /** What reads the damaged copy: the head, the snapshot, or the clone (through its origin). */
    private Reader reader(Where where) {
        return switch (where) {
            case HEAD -> pool.volume("v")::read;
            case SNAPSHOT -> pool.volume("v").snapshot("s")::read;
            case CLONE_ORIGIN -> pool.volume("c")::read;
        };
    }

    private byte[] read(Where where, long offset, int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        reader(where).read(offset, b);
        return b.array();
    }

    private interface Reader {
        void read(long offset, ByteBuffer dst);
    }
}
