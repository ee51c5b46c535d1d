package io.depot.appliance.cli;

import io.depot.appliance.Sizes;
import java.io.PrintStream;

/**
 * A one-line progress bar on stderr for long transfers, redrawn at most five times a second:
 * {@code export vm1@s2  [#######.............]  35%  1.2G of 3.4G  110M/s}. Without a known total
 * it shows bytes and rate. A disabled one does nothing.
 */
final class Progress {
    private static final long REDRAW_NANOS = 200_000_000L;
    private static final int WIDTH = 24;

    private final PrintStream err;
    private final String label;
    private final long total;
    private final long started = System.nanoTime();
    private long done;
    private long drawn;

    private Progress(PrintStream err, String label, long total) {
        this.err = err;
        this.label = label;
        this.total = total;
    }

    /** A bar on stderr when {@code show}; {@code total} -1 when unknown. */
    static Progress of(boolean show, String label, long total) {
        return show ? new Progress(System.err, label, total) : null;
    }

    static void add(Progress p, long n) {
        if (p != null) {
            p.advance(n);
        }
    }

    static void finish(Progress p) {
        if (p != null) {
            p.draw();
            p.err.println();
            p.err.flush();
        }
    }

    private void advance(long n) {
        done += n;
        long now = System.nanoTime();
        if (now - drawn >= REDRAW_NANOS) {
            drawn = now;
            draw();
        }
    }

    private void draw() {
        double seconds = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
        String rate = Sizes.format((long) (done / seconds)) + "/s";
        StringBuilder line = new StringBuilder("\r").append(label).append("  ");
        if (total > 0) {
            int filled = (int) Math.min(WIDTH, done * WIDTH / total);
            line.append('[').append("#".repeat(filled)).append(".".repeat(WIDTH - filled)).append("]  ")
                    .append(String.format("%3d%%", Math.min(100, done * 100 / total))).append("  ")
                    .append(Sizes.format(done)).append(" of ").append(Sizes.format(total));
        } else {
            line.append(Sizes.format(done));
        }
        line.append("  ").append(rate).append("   ");
        err.print(line);
        err.flush();
    }
}
