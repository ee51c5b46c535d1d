package io.depot.engine.bench;

import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Where a benchmark round sends its I/O: an engine volume, a snapshot, or the raw file. */
interface IoTarget {
    void write(long offset, ByteBuffer src);

    void read(long offset, ByteBuffer dst);

    /** The durability barrier a writer would issue: engine flush, or fdatasync of the raw file. */
    void flush();

    static IoTarget of(Volume v) {
        return new IoTarget() {
            public void write(long offset, ByteBuffer src) { v.write(offset, src); }

            public void read(long offset, ByteBuffer dst) { v.read(offset, dst); }

            public void flush() { v.flush(); }
        };
    }

    static IoTarget of(Snapshot s) {
        return new IoTarget() {
            public void write(long offset, ByteBuffer src) { s.write(offset, src); }

            public void read(long offset, ByteBuffer dst) { s.read(offset, dst); }

            public void flush() { }
        };
    }

    /** Positional I/O on one channel shared by every thread, as the engine's FileBlockStore does. */
    static IoTarget of(FileChannel ch) {
        return new IoTarget() {
            public void write(long offset, ByteBuffer src) {
                try {
                    writeFully(ch, src, offset);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            public void read(long offset, ByteBuffer dst) {
                try {
                    readFully(ch, dst, offset);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            public void flush() {
                try {
                    ch.force(false);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    /** Writes all of {@code b} at {@code at}, however many calls the channel takes. */
    static void writeFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
        long p = at;
        while (b.hasRemaining()) {
            p += ch.write(b, p);
        }
    }

    /** Fills {@code b} from {@code at}; the raw file must hold every byte asked for. */
    static void readFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
        long p = at;
        while (b.hasRemaining()) {
            int n = ch.read(b, p);
            if (n < 0) {
                throw new IOException("read past the end of the raw file at " + p);
            }
            p += n;
        }
    }
}
