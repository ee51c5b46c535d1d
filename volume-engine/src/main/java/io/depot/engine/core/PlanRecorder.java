package io.depot.engine.core;

import io.depot.engine.ReadPlan;
import io.depot.engine.store.BlockStore;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Builds a {@link ReadPlan} from a mapping walk: takes the reader pin when made (before the walk
 * looks at a mapping), records the walk's runs, dropping the first {@code skip} bytes and everything
 * after {@code keep} (the walk covers whole sectors, the caller wants bytes), and merges adjacent
 * runs of the data file and of zeros.
 */
final class PlanRecorder implements ReadSink, ReadPlan {
    private final ReaderPins pins;
    private final long pin;
    private final BlockStore blocks;
    private final FileChannel file;
    private final AtomicBoolean closed = new AtomicBoolean();
    private long skip;
    private long keep;
    private long[] positions = new long[8];
    private int[] lengths = new int[8];
    private int count;
    private long total;

    PlanRecorder(ReaderPins pins, BlockStore blocks, FileChannel file, long skip, long keep) {
        this.pins = pins;
        this.pin = pins.pin();
        this.blocks = blocks;
        this.file = file;
        this.skip = skip;
        this.keep = keep;
    }

    @Override
    public void data(long position, int length) {
        add(position, length);
    }

    @Override
    public void zeros(int length) {
        add(-1, length);
    }

    private void add(long position, int length) {
        int drop = (int) Math.min(skip, length);
        skip -= drop;
        int n = (int) Math.min(length - drop, keep);
        if (n <= 0) {
            return;
        }
        long at = position < 0 ? -1 : position + drop;
        keep -= n;
        total += n;
        if (count > 0) {
            long prev = positions[count - 1];
            if ((prev < 0 && at < 0) || (prev >= 0 && at == prev + lengths[count - 1]
                    && (long) lengths[count - 1] + n <= Integer.MAX_VALUE)) {
                lengths[count - 1] += n;
                return;
            }
        }
        if (count == positions.length) {
            positions = Arrays.copyOf(positions, count * 2);
            lengths = Arrays.copyOf(lengths, count * 2);
        }
        positions[count] = at;
        lengths[count++] = n;
    }

    @Override
    public FileChannel file() { return file; }

    @Override
    public int segments() { return count; }

    @Override
    public long position(int i) { return positions[i]; }

    @Override
    public int length(int i) { return lengths[i]; }

    @Override
    public long length() { return total; }

    @Override
    public boolean inPageCache() {
        for (int i = 0; i < count; i++) {
            if (positions[i] >= 0 && !blocks.isCached(positions[i], lengths[i])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            pins.unpin(pin);
        }
    }
}
