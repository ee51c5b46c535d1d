package io.depot.engine.store;

import io.depot.engine.StorageIoException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * {@link BlockStore} over a regular (sparse) file or a raw block device, with positional I/O
 * on one {@link FileChannel}: positional reads and writes do not contend on a file pointer,
 * so many threads use the channel at once.
 */
public final class FileBlockStore implements BlockStore {
    private final Path path;
    private final FileChannel channel;
    private final boolean blockDevice;
    private final long deviceSize;

    public FileBlockStore(Path path) {
        this.path = path;
        try {
            this.blockDevice = !Files.isRegularFile(path) && Files.exists(path) && !Files.isDirectory(path);
            this.channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
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

    @Override
    public void read(ByteBuffer dst, long position) {
        try {
            long pos = position;
            while (dst.hasRemaining()) {
                int n = channel.read(dst, pos);
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

    @Override
    public void write(ByteBuffer src, long position) {
        try {
            long pos = position;
            while (src.hasRemaining()) {
                pos += channel.write(src, pos);
            }
        } catch (IOException e) {
            throw new StorageIoException("write of " + path + " at " + position + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void force() {
        try {
            channel.force(false);
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
            return channel.size();
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
        try {
            channel.close();
        } catch (IOException e) {
            throw new StorageIoException("close of " + path + " failed: " + e.getMessage(), e);
        }
    }
}
