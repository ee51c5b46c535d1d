package io.depot.engine.crash;

import java.util.ArrayList;
import java.util.List;

/**
 * Keeps the worker's in-flight operations on one volume from overlapping, so every sector sees its
 * writes in one total order (the journal's id order) and "the last write before X" is exact.
 * Writes to different sectors of one cluster still run concurrently: the engine must cope with that.
 */
final class RangeLock {
    private final List<long[]> held = new ArrayList<>();

    synchronized void lock(long offset, long length) throws InterruptedException {
        while (overlapsHeld(offset, length)) {
            wait();
        }
        held.add(new long[] {offset, length});
    }

    synchronized void unlock(long offset, long length) {
        for (int i = 0; i < held.size(); i++) {
            if (held.get(i)[0] == offset && held.get(i)[1] == length) {
                held.remove(i);
                notifyAll();
                return;
            }
        }
        throw new IllegalStateException("range " + offset + "+" + length + " is not locked");
    }

    private boolean overlapsHeld(long offset, long length) {
        for (long[] r : held) {
            if (offset < r[0] + r[1] && r[0] < offset + length) {
                return true;
            }
        }
        return false;
    }
}
