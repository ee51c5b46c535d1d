package io.depot.engine.bench;

import io.depot.engine.bench.Comparison.Side;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Raw control for the copy-on-write rows: the data-file system calls the engine makes for a first
 * write to shared clusters, replayed on plain files without the engine (no mapping cache, no
 * locks, no metadata, no group commit beyond one fdatasync).
 *
 * <p>Per cluster a write touches, the engine reads the old cluster unless the write covers it
 * whole, merges the new bytes in, and writes one whole cluster into space it allocates at the
 * growing end of its data file (no freed space is left while the snapshots keep every generation).
 * The replay does the same: the old cluster is read from the preallocated raw file (cached, as the
 * engine's old clusters are), and the cluster is written at the next free position of a sparse
 * file, in arrival order across threads. A request of whole clusters reserves them together at the
 * end of the file and writes them 64 KiB a call (or a cluster, if larger), as the engine's contiguous
 * multi-cluster writes do. The round's flush is one
 * {@code fdatasync} of that file. Like the engine's data file, the replay file keeps growing from
 * round to round and is removed only at the end: deleting it between rounds would hand the next
 * round the page-cache memory just freed, which on this VM is far cheaper than memory never
 * touched (docs/benchmarks.md, run 5).
 *
 * <p>So "replay / raw" is what this machine charges for the bytes the engine writes into fresh
 * file space, and "engine / replay" is the engine's own share.
 */
final class FreshSpaceReplay implements IoTarget {
    private final FileChannel source;
    private final FileChannel fresh;
    private final int clusterSize;
    private final AtomicLong frontier;
    private final ThreadLocal<ByteBuffer> images;

    private FreshSpaceReplay(FileChannel source, FileChannel fresh, int clusterSize, AtomicLong frontier) {
        this.source = source;
        this.fresh = fresh;
        this.clusterSize = clusterSize;
        this.frontier = frontier;
        this.images = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(clusterSize));
    }

    /** One replay file for every round of a comparison, growing round after round; close removes it. */
    static final class GrowingFile implements Side, AutoCloseable {
        private final Path path;
        private final FileChannel channel;
        private final AtomicLong frontier = new AtomicLong();
        private final FreshSpaceReplay target;

        GrowingFile(Path path, FileChannel source, int clusterSize) {
            this.path = path;
            try {
                channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            target = new FreshSpaceReplay(source, channel, clusterSize, frontier);
        }

        @Override
        public IoTarget prepare(int round) {
            return target;
        }

        @Override
        public void close() {
            try {
                channel.close();
                Files.delete(path);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The engine writes runs of contiguous fresh clusters in calls of at most this much (core.ContiguousRun). */
    private static final int MAX_CALL = 64 << 10;

    @Override
    public void write(long offset, ByteBuffer src) {
        int cs = clusterSize;
        long end = offset + src.remaining();
        long pos = offset;
        try {
            int within = (int) (pos & (cs - 1));
            if (within != 0 || end - pos < cs) {
                // a partial cluster (the 4 KiB copy-on-write): old cluster read, new bytes merged, whole cluster written
                int n = (int) Math.min(cs - within, end - pos);
                ByteBuffer image = images.get();
                image.clear();
                IoTarget.readFully(source, image, pos - within);
                image.clear().position(within);
                int limit = src.limit();
                src.limit(src.position() + n);
                image.put(src);
                src.limit(limit);
                image.clear();
                IoTarget.writeFully(fresh, image, frontier.getAndAdd(cs));
                pos += n;
            }
            // whole clusters: one contiguous reservation at the end of the file, written MAX_CALL (or a cluster) at a time
            long whole = (end - pos) / cs * cs;
            long at = frontier.getAndAdd(whole);
            int perCall = Math.max(cs, MAX_CALL);
            for (long done = 0; done < whole; done += perCall) {
                int n = (int) Math.min(perCall, whole - done);
                int limit = src.limit();
                src.limit(src.position() + n);
                IoTarget.writeFully(fresh, src, at + done);
                src.limit(limit);
            }
            pos += whole;
            if (pos < end) {
                throw new IllegalArgumentException("the replay handles one partial cluster or whole clusters, not both ends");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        throw new UnsupportedOperationException("the replay only writes");
    }

    @Override
    public void flush() {
        try {
            fresh.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
