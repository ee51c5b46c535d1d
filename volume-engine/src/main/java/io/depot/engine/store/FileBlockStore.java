package io.depot.engine.store;

import io.depot.engine.StorageIoException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link BlockStore} over a regular (sparse) file or a raw block device, with positional I/O
 * on one {@link FileChannel}: positional reads and writes do not contend on a file pointer,
 * so many threads use the channel at once.
 *
 * <p>A JDK file channel closes itself, for every thread, when a thread blocked in it is
 * interrupted. One interrupted caller must not take the pool down, so an operation that finds the
 * channel closed by someone else reopens it and retries (positional reads and writes are
 * idempotent), and hands the interrupt back to its caller afterwards.
 */
public final class FileBlockStore implements BlockStore {
    private final Path path;
    private volatile FileChannel channel;
    private volatile boolean closed;
    private final boolean blockDevice;
    private final long deviceSize;
    /**
     * For {@link #isCached}: read-only mappings of the store by {@value #SEGMENT_SHIFT}-bit segment,
     * never read through (no page faults), only asked about with mincore. Made from their own
     * read-only channel, which cannot extend the file, and only within the store's current size.
     */
    private final ConcurrentHashMap<Long, MappedByteBuffer> residency = new ConcurrentHashMap<>();
    private volatile FileChannel residencyChannel;
    private static final int SEGMENT_SHIFT = Long.numberOfTrailingZeros(MAPPING_BOUNDARY);
    private static final long SEGMENT = 1L << SEGMENT_SHIFT;
    /** A segment mapped short (the file was smaller then) is mapped again only once it grew this much. */
    private static final long REMAP_STEP = 64L << 20;
    /**
     * At most this many segments (4 TiB of store) get a residency mapping: a mapping cannot be
     * unmapped before the GC finds it, and each one is a VMA counted against vm.max_map_count
     * (65,530 by default), which the JVM's own threads and malloc also need. Past it, "cannot tell".
     */
    static final int MAX_RESIDENCY_SEGMENTS = 4096;

    public FileBlockStore(Path path) {
        this.path = path;
        try {
            this.blockDevice = !Files.isRegularFile(path) && Files.exists(path) && !Files.isDirectory(path);
            this.channel = openChannel(path);
            this.deviceSize = blockDevice ? blockDeviceSize(path) : Long.MAX_VALUE;
        } catch (IOException e) {
            throw new StorageIoException("cannot open data store " + path + ": " + e.getMessage(), e);
        }
    }

    private long blockDeviceSize(Path path) throws IOException {
        long size = channel.size();   // recent JDKs ask the kernel (BLKGETSIZE64); older ones say 0
        return size > 0 ? size : sysfsSize(path);
    }

    private static long sysfsSize(Path path) throws IOException {
        Path real = path.toRealPath();
        Path sys = Path.of("/sys/class/block", real.getFileName().toString(), "size");
        return Long.parseLong(Files.readString(sys).trim()) * 512L;
    }

    private static FileChannel openChannel(Path path) throws IOException {
        return FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    private interface ChannelOp { long apply(FileChannel channel) throws IOException; }

    /** Runs one channel call, reopening the channel if another thread's interrupt closed it. */
    private long onChannel(ChannelOp op) throws IOException {
        boolean interrupted = false;
        try {
            while (true) {
                FileChannel ch = channel;
                try {
                    return op.apply(ch);
                } catch (ClosedChannelException e) {
                    if (closed) {
                        throw e;
                    }
                    interrupted |= Thread.interrupted();
                    reopen(ch);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private synchronized void reopen(FileChannel failed) throws IOException {
        if (channel == failed && !closed) {
            channel = openChannel(path);
        }
    }

    @Override
    public void read(ByteBuffer dst, long position) {
        try {
            long pos = position;
            while (dst.hasRemaining()) {
                long at = pos;
                long n = onChannel(ch -> ch.read(dst, at));
                if (n < 0) {
                    while (dst.hasRemaining()) {   // past end of a sparse file: zeros
                        dst.put((byte) 0);
                    }
                    return;
                }
                pos += n;
            }
        } catch (IOException e) {
            throw new StorageIoException("read of " + path + " at " + position + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>mincore(2) over a read-only mapping of the range ({@link MappedByteBuffer#isLoaded}):
     * one system call per 1 GiB segment touched. Ranges past the end of the file, or not yet
     * mapped because the file grew less than {@value #REMAP_STEP} bytes since, say false.
     */
    @Override
    public boolean isCached(long position, int length) {
        if (closed || position < 0 || length < 0) {
            return false;
        }
        long end = position + length;
        for (long seg = position >>> SEGMENT_SHIFT; seg << SEGMENT_SHIFT < end; seg++) {
            long base = seg << SEGMENT_SHIFT;
            int from = (int) (Math.max(position, base) - base);
            int to = (int) (Math.min(end, base + SEGMENT) - base);
            MappedByteBuffer m = residencyMapping(seg, to);
            if (m == null || !m.slice(from, to - from).isLoaded()) {
                return false;
            }
        }
        return true;
    }

    /** The mapping of segment {@code seg} if it covers its first {@code need} bytes, mapping (again) when that is allowed. */
    private MappedByteBuffer residencyMapping(long seg, int need) {
        MappedByteBuffer m = residency.get(seg);
        if (m != null && m.capacity() >= need) {
            return m;
        }
        if (m == null && residency.size() >= MAX_RESIDENCY_SEGMENTS) {
            return null;
        }
        try {
            FileChannel ch = readOnlyChannel();
            long base = seg << SEGMENT_SHIFT;
            long avail = Math.min(SEGMENT, (blockDevice ? deviceSize : ch.size()) - base);
            // each mapping lives until the GC finds it unreferenced: map a growing tail only in large steps
            if (avail < need || (m != null && avail < Math.min(SEGMENT, m.capacity() + REMAP_STEP))) {
                return null;
            }
            MappedByteBuffer fresh = ch.map(FileChannel.MapMode.READ_ONLY, base, avail);
            residency.put(seg, fresh); // a racing caller's mapping is as good
            return fresh;
        } catch (IOException | RuntimeException e) { // closed meanwhile, or mapping refused: cannot tell
            return null;
        }
    }

    /** The read-only channel of residency mappings and sends, (re)opened when needed. */
    private FileChannel readOnlyChannel() throws IOException {
        FileChannel ch = residencyChannel;
        if (ch == null || !ch.isOpen()) {
            synchronized (residency) {
                ch = residencyChannel;
                if (closed) {
                    throw new ClosedChannelException();
                }
                if (ch == null || !ch.isOpen()) {
                    ch = FileChannel.open(path, StandardOpenOption.READ);
                    residencyChannel = ch;
                }
            }
        }
        return ch;
    }

    /**
     * {@inheritDoc}
     *
     * <p>A slice of the residency mapping of the range's segment (see {@link #isCached}); the data
     * file is opened without O_DIRECT, so the mapping and positional I/O share the page cache.
     */
    @Override
    public ByteBuffer mapped(long position, int length) {
        long seg = position >>> SEGMENT_SHIFT;
        if (closed || position < 0 || length <= 0 || (position + length - 1) >>> SEGMENT_SHIFT != seg) {
            return null;
        }
        int from = (int) (position - (seg << SEGMENT_SHIFT));
        MappedByteBuffer m = residencyMapping(seg, from + length);
        return m == null ? null : m.slice(from, length);
    }

    @Override
    public void write(ByteBuffer src, long position) {
        try {
            long pos = position;
            while (src.hasRemaining()) {
                long at = pos;
                pos += onChannel(ch -> ch.write(src, at));
            }
        } catch (IOException e) {
            throw new StorageIoException("write of " + path + " at " + position + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void force() {
        try {
            // fsync covers every dirty page of the file, whichever descriptor wrote it
            onChannel(ch -> {
                ch.force(false);
                return 0;
            });
        } catch (IOException e) {
            throw new StorageIoException("fdatasync of " + path + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public long dirtyExtent() {
        if (blockDevice) {
            return deviceSize;
        }
        try {
            return onChannel(FileChannel::size);
        } catch (IOException e) {
            throw new StorageIoException("cannot size " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public long maxSize() {
        return deviceSize;
    }

    @Override
    public void close() {
        closed = true;
        try {
            synchronized (residency) {
                if (residencyChannel != null) {
                    residencyChannel.close();
                }
                residency.clear();
            }
            channel.close();
        } catch (IOException e) {
            throw new StorageIoException("close of " + path + " failed: " + e.getMessage(), e);
        }
    }
}
