package io.depot.engine.core;

import io.depot.engine.ReadPlan;
import io.depot.engine.store.BlockStore;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Builds a {@link ReadPlan} from a mapping walk: takes the reader pin when made (before the walk
 * looks at a mapping), records the walk's runs, dropping the first {@code skip} bytes and everything
 * after {@code keep} (the walk covers whole sectors, the caller wants bytes), merges adjacent runs
 * of the data file (within one {@link BlockStore#MAPPING_BOUNDARY}) and of zeros, and then
 * {@link #map}s the data runs.
 */
final class PlanRecorder implements ReadSink, ReadPlan {
    private final ReaderPins pins;
    private final long pin;
    private final BlockStore blocks;
    private final AtomicBoolean closed = new AtomicBoolean();
    private long skip;
    private long keep;
    private long[] positions = new long[8];
    private int[] lengths = new int[8];
    private ByteBuffer[] views;
    private int count;
    private long total;

    PlanRecorder(ReaderPins pins, BlockStore blocks, long skip, long keep) {
        this.pins = pins;
        this.pin = pins.pin();
        this.blocks = blocks;
        this.skip = skip;
        this.keep = keep;
    }

    @Override
    public void data(long position, int length, RunChecks checks) {
        if (checks != null && checks.any()) {
            check(position, length, checks);
        }
        long boundary = (position / BlockStore.MAPPING_BOUNDARY + 1) * BlockStore.MAPPING_BOUNDARY;
        if (position + length > boundary) { // one view cannot cross it
            int first = (int) (boundary - position);
            add(position, first);
            add(boundary, length - first);
        } else {
            add(position, length);
        }
    }

    /** Verifies every block the run touches, over views of the data file where it can be mapped. */
    private void check(long position, int length, RunChecks checks) {
        long at = position & -BlockChecksums.BLOCK;
        long end = (position + length + BlockChecksums.BLOCK - 1) & -BlockChecksums.BLOCK;
        while (at < end) {
            long segmentEnd = Math.min(end, (at / BlockStore.MAPPING_BOUNDARY + 1) * BlockStore.MAPPING_BOUNDARY);
            ByteBuffer view = blocks.mapped(at, (int) (segmentEnd - at));
            for (long b = at; b < segmentEnd; b += BlockChecksums.BLOCK) {
                if (view != null) {
                    checks.check(b, view, (int) (b - at));
                } else {
                    ByteBuffer block = BlockChecksums.scratch();
                    blocks.read(block, b);
                    checks.check(b, block, 0);
                }
            }
            at = segmentEnd;
        }
    }

    @Override
    public void zeros(int length) {
        for (int left = length; left > 0; left -= PoolContext.MAX_ZEROS) { // views of one shared zero buffer
            add(-1, Math.min(left, PoolContext.MAX_ZEROS));
        }
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
            boolean zeros = prev < 0 && at < 0 && lengths[count - 1] + n <= PoolContext.MAX_ZEROS;
            boolean follows = prev >= 0 && at == prev + lengths[count - 1]
                    && prev / BlockStore.MAPPING_BOUNDARY == at / BlockStore.MAPPING_BOUNDARY;
            if ((zeros || follows) && (long) lengths[count - 1] + n <= Integer.MAX_VALUE) {
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

    /** Makes the views once the walk is done; false if a data run cannot be mapped. */
    boolean map() {
        views = new ByteBuffer[count];
        for (int i = 0; i < count; i++) {
            views[i] = positions[i] < 0 ? PoolContext.zeros(lengths[i]) : blocks.mapped(positions[i], lengths[i]);
            if (views[i] == null) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int segments() { return count; }

    @Override
    public ByteBuffer segment(int i) { return views[i].duplicate(); }

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
