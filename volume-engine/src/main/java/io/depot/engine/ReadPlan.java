package io.depot.engine;

import java.nio.ByteBuffer;

/**
 * A range of a volume or snapshot handed out without copying, for a send: segments that are
 * read-only views of the pool's data file through its mapping, or of shared zeros (a hole, or what
 * was never written), in order, {@link #length()} bytes in all. Clone origins and snapshots are
 * already resolved to the data file.
 *
 * <p>The plan holds a reader pin from before it looked at any mapping until {@link #close()}: no
 * cluster it names is handed to another volume meanwhile, so its views can show only this volume's
 * bytes (old or new ones of an overwrite in place). A sender writes the views with write(2), which
 * copies them into socket buffers at call time, and closes the plan once the last one is written
 * (or will never be). Not sendfile(2): the socket would keep references to the page-cache pages
 * after the call returns, past any pin. Closing twice does nothing.
 */
public interface ReadPlan extends AutoCloseable {
    int segments();

    /** Segment {@code i}: a read-only view, valid while the plan is open. */
    ByteBuffer segment(int i);

    /** Bytes the plan covers. */
    long length();

    /**
     * Whether all of the plan's data is in the OS page cache now, so reading the views cannot
     * wait for the disk (a hint, as {@link Volume#tryRead}'s; asked with mincore).
     */
    boolean inPageCache();

    @Override
    void close();
}
