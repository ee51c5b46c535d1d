package io.depot.engine;

import java.nio.channels.FileChannel;

/**
 * A range of a volume or snapshot described instead of copied, for a zero-copy send: segments that
 * are either a run of the pool's data file ({@link #position} at least 0) or zeros (a hole, or past
 * what was ever written), in order, {@link #length()} bytes in all. Clone origins and snapshots are
 * already resolved to the data file.
 *
 * <p>The plan holds a reader pin from before it looked at any mapping until {@link #close()}: no
 * cluster it names is handed to another volume meanwhile, so sending its runs later can show only
 * this volume's bytes (old or new ones of an overwrite in place). Close it once the last byte has
 * left, or it was never sent; closing twice does nothing.
 */
public interface ReadPlan extends AutoCloseable {
    /** The pool's data file, read-only and shared: transfer from it, never close it. */
    FileChannel file();

    int segments();

    /** Where segment {@code i} starts in the data file, or -1 if it reads as zeros. */
    long position(int i);

    int length(int i);

    /** Bytes the plan covers. */
    long length();

    /**
     * Whether all of the plan's data is in the OS page cache now, so sending it cannot wait for
     * the disk (a hint, as {@link Volume#tryRead}'s; asked with mincore).
     */
    boolean inPageCache();

    @Override
    void close();
}
