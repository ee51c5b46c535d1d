package io.depot.engine.crash;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The worker's append-only record of what it did, one text line per record (format in {@link Journal}).
 *
 * <p>Each record goes to the kernel in a single write before the worker acts on it, so a kill -9
 * cannot lose an intent whose I/O was issued (the page cache survives a process kill). Records that
 * claim durability are followed by an fsync before the worker goes on: the journal never claims more
 * than the engine acknowledged. Write ids are handed out here, under the same lock that orders the
 * records, so id order is journal order.
 */
final class JournalWriter implements AutoCloseable {
    private final FileChannel channel;
    private long nextId;
    private long completions;

    JournalWriter(Path path, long firstId) {
        try {
            this.channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.nextId = firstId;
    }

    /** Records the intent to write; returns the write's id. Call before issuing the write. */
    synchronized long writeIntent(int volume, long offset, int length, boolean fua) {
        long id = nextId++;
        append("W " + id + " " + volume + " " + offset + " " + length + " " + (fua ? 1 : 0));
        return id;
    }

    /** Records the intent to unmap; returns the operation's id. */
    synchronized long unmapIntent(int volume, long offset, long length) {
        long id = nextId++;
        append("U " + id + " " + volume + " " + offset + " " + length);
        return id;
    }

    /** Records that an operation returned. */
    synchronized void completed(long id) {
        append("C " + id);
        completions++;
    }

    /** How many operations have been recorded as completed: a flush started now covers at least these. */
    synchronized long completions() { return completions; }

    /** After a flush returned: the first {@code covered} completed operations are durable. */
    void durable(long covered) {
        synchronized (this) {
            append("D " + covered);
        }
        sync();
    }

    /** After a FUA write returned: it is durable, and so are the first {@code covered} completions. */
    void fuaDurable(long id, long covered) {
        synchronized (this) {
            append("F " + id + " " + covered);
        }
        sync();
    }

    /** Before taking a snapshot of quiesced volumes; {@code covered} completions precede it. */
    synchronized void snapshotBegin(String name, int[] volumes, long covered) {
        StringBuilder vols = new StringBuilder();
        for (int v : volumes) {
            vols.append(vols.isEmpty() ? "" : ",").append(v);
        }
        append("S " + name + " " + vols + " " + covered);
    }

    /** After the snapshot call returned: the snapshot exists and everything it covers is durable. */
    void snapshotDone(String name) {
        synchronized (this) {
            append("SD " + name);
        }
        sync();
    }

    synchronized void deleteBegin(int volume, String name) {
        append("X " + volume + " " + name);
    }

    void deleteDone(int volume, String name) {
        synchronized (this) {
            append("XD " + volume + " " + name);
        }
        sync();
    }

    private void append(String line) {
        ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.US_ASCII));
        try {
            while (b.hasRemaining()) {
                channel.write(b);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void sync() {
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException { channel.close(); }
}
