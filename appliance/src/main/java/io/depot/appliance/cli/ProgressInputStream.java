package io.depot.appliance.cli;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Counts what is read into a {@link Progress} bar (which may be null: no bar) and, when given an
 * output, also passes every byte read on to it (an export writes the stream it verifies).
 */
final class ProgressInputStream extends FilterInputStream {
    private final Progress bar;
    private final OutputStream copyTo;

    /** Counts what is read. */
    ProgressInputStream(InputStream in, Progress bar) {
        this(in, bar, null);
    }

    /** Counts what is read and writes it to {@code copyTo}. */
    ProgressInputStream(InputStream in, Progress bar, OutputStream copyTo) {
        super(in);
        this.bar = bar;
        this.copyTo = copyTo;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            if (copyTo != null) {
                copyTo.write(b);
            }
            Progress.add(bar, 1);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
            if (copyTo != null) {
                copyTo.write(b, off, n);
            }
            Progress.add(bar, n);
        }
        return n;
    }
}
