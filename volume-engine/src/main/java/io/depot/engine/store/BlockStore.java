package io.depot.engine.store;

import java.nio.ByteBuffer;

/**
 * Where cluster payload lives: a file or a raw block device, addressed by byte position.
 * Writes are positional and may sit in a cache until {@link #force()} returns.
 */
public interface BlockStore extends AutoCloseable {

    /** Fills {@code dst} from {@code position}; bytes past the end of a file read as zeros. */
    void read(ByteBuffer dst, long position);

    /**
     * Whether every byte of {@code [position, position + length)} is in the OS page cache now, so
     * reading it cannot wait for the disk; answers without blocking and says false when it cannot
     * tell. A hint: pages may be evicted right after, and a later read then waits as usual.
     */
    default boolean isCached(long position, int length) {
        return false;
    }

    /** Views from {@link #mapped} never cross a multiple of this. */
    long MAPPING_BOUNDARY = 1L << 30;

    /**
     * A read-only view of {@code [position, position + length)} straight from a mapping of the
     * store (no copy; for a send, whose write(2) copies it into socket buffers at call time), or
     * null when there is none: the range crosses a {@link #MAPPING_BOUNDARY}, lies past what is
     * mapped, or the store maps nothing.
     */
    default java.nio.ByteBuffer mapped(long position, int length) {
        return null;
    }

    /** Writes all of {@code src} at {@code position}. */
    void write(ByteBuffer src, long position);

    /** Makes every completed write durable (fdatasync). */
    void force();

    /**
     * Bytes below which the store may hold old contents. For a sparse file this is its length
     * (everything past it reads as zeros); for a block device it is the whole device.
     */
    long dirtyExtent();

    /** Size limit of the store, or {@link Long#MAX_VALUE} for a growable file. */
    long maxSize();

    @Override
    void close();
}
