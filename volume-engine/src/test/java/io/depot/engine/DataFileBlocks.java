package io.depot.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds and damages 4 KiB blocks of a pool's data file from the outside, as a failing disk would:
 * a block is found by its content (the {@link TestData} pattern it was written with identifies its
 * seed and volume offset), never through an engine hook, and bytes are changed with plain positional
 * writes on a channel of its own (through the same page cache the pool reads, so a running pool sees
 * the damage at its next read).
 */
final class DataFileBlocks {
    static final int BLOCK = 4096;
    private static final int KEY = 32;

    private final Path file;
    /** First {@link #KEY} bytes of each non-zero 4 KiB block of the file -> its data file offsets. */
    private final Map<ByteBuffer, List<Long>> byPrefix = new HashMap<>();

    private DataFileBlocks(Path file) { this.file = file; }

    static Path dataFile(Pool pool) { return pool.directory().resolve("data"); }

    /** Scans the data file once (after a flush, so it holds every written block). */
    static DataFileBlocks scan(Path file) {
        DataFileBlocks b = new DataFileBlocks(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            long size = ch.size();
            for (long base = 0; base < size; base += buf.capacity()) {
                buf.clear();
                while (buf.hasRemaining() && ch.read(buf, base + buf.position()) > 0) {
                    // fill
                }
                int n = buf.position();
                for (int at = 0; at + BLOCK <= n; at += BLOCK) {
                    byte[] key = new byte[KEY];
                    buf.get(at, key);
                    if (!TestData.isZero(key)) {
                        b.byPrefix.computeIfAbsent(ByteBuffer.wrap(key), k -> new ArrayList<>()).add(base + at);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b;
    }

    /** Data file offsets of every copy of the block written with {@code seed} at volume offset {@code offset}. */
    List<Long> copiesOf(long seed, long offset) {
        byte[] key = TestData.bytes(TestData.pattern(seed, offset, KEY));
        return byPrefix.getOrDefault(ByteBuffer.wrap(key), List.of());
    }

    /** The one data file offset of the block written with {@code seed} at {@code offset} (fails unless exactly one copy). */
    long locate(long seed, long offset) {
        List<Long> at = copiesOf(seed, offset);
        assertEquals(1, at.size(), "copies in the data file of the block written with seed " + seed + " at " + offset + ": " + at);
        return at.get(0);
    }

    /** Scans the file again and returns the one data file offset of a block (for a single lookup). */
    static long find(Pool pool, long seed, long offset) {
        return scan(dataFile(pool)).locate(seed, offset);
    }

    static byte[] read(Path file, long position, int length) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(length);
            while (b.hasRemaining() && ch.read(b, position + b.position()) > 0) {
                // fill
            }
            assertTrue(!b.hasRemaining(), "read " + length + " bytes at " + position + " of " + file);
            return b.array();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path file, long position, byte[] bytes) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b, position + b.position());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** XORs the byte at {@code position} with {@code mask} (non-zero: the byte always changes); returns the old block. */
    static byte[] flip(Path file, long position, int mask) {
        assertTrue((mask & 0xff) != 0, "a mask that changes the byte");
        long block = position & -BLOCK;
        byte[] old = read(file, block, BLOCK);
        write(file, position, new byte[] {(byte) (old[(int) (position - block)] ^ mask)});
        return old;
    }

    /** Replaces the whole block at {@code block} with {@code junk} (which must differ from it); returns the old block. */
    static byte[] replace(Path file, long block, byte[] junk) {
        assertEquals(0, block % BLOCK);
        assertEquals(BLOCK, junk.length);
        byte[] old = read(file, block, BLOCK);
        assertTrue(!java.util.Arrays.equals(old, junk), "the junk differs from the block");
        write(file, block, junk);
        return old;
    }
}
