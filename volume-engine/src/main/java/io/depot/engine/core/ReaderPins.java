package io.depot.engine.core;

import java.util.ArrayDeque;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.roaringbitmap.RoaringBitmap;

/**
 * Keeps freed clusters from being reused while a read that may still send their bytes is under way
 * (epoch-based reclamation). A zero-copy read ({@link PlanRecorder}) takes a pin before it looks at
 * any mapping and holds it until its last byte has left; a free (a commit made it durable) is
 * stamped with a new epoch and waits in limbo until every pin taken before it is gone, and only then
 * reaches the {@link ClusterAllocator}. So a cluster a plan names can be overwritten only by its own
 * file (in place: NFS allows a mix of old and new bytes of the same file), never by another file's.
 *
 * <p>Copying reads need no pin: they hold the stripe locks while they copy.
 */
public final class ReaderPins {
    private final ClusterAllocator allocator;
    // guarded by this
    private long epoch;
    /** Pins held, counted by the epoch they were taken in. */
    private final TreeMap<Long, Integer> held = new TreeMap<>();
    private final ArrayDeque<Limbo> limbo = new ArrayDeque<>();
    private long limboClusters;
    private long taken;
    private boolean enforced = true;

    private record Limbo(long stamp, RoaringBitmap clusters) {}

    ReaderPins(ClusterAllocator allocator) {
        this.allocator = allocator;
    }

    /** Takes a pin; give it back with {@link #unpin} exactly once. */
    synchronized long pin() {
        taken++;
        held.merge(epoch, 1, Integer::sum);
        return epoch;
    }

    void unpin(long pin) {
        RoaringBitmap ready;
        synchronized (this) {
            held.computeIfPresent(pin, (k, n) -> n == 1 ? null : n - 1);
            ready = drainable();
        }
        if (ready != null) {
            allocator.release(ready);
        }
    }

    /** Clusters whose free is durable: to the allocator now, or once the pins taken before are gone. */
    void free(RoaringBitmap clusters) {
        synchronized (this) {
            epoch++;
            if (enforced && !held.isEmpty()) {
                limbo.add(new Limbo(epoch, clusters));
                limboClusters += clusters.getLongCardinality();
                return;
            }
        }
        allocator.release(clusters);
    }

    /** Limbo entries no held pin predates, taken out of limbo; null for none. */
    private RoaringBitmap drainable() {
        long oldest = held.isEmpty() ? Long.MAX_VALUE : held.firstKey();
        RoaringBitmap out = null;
        while (!limbo.isEmpty() && limbo.peek().stamp() <= oldest) {
            Limbo l = limbo.poll();
            limboClusters -= l.clusters().getLongCardinality();
            out = out == null ? l.clusters() : RoaringBitmap.or(out, l.clusters());
        }
        if (out != null) {
            notifyAll();
        }
        return out;
    }

    /** Waits (at most {@code timeout}) until limbo is empty; for an allocation that found the pool full. */
    synchronized boolean awaitEmptyLimbo(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (!limbo.isEmpty()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    /** Pins held now. */
    public synchronized int held() {
        return held.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Pins taken since the pool opened (zero-copy reads planned). */
    public synchronized long taken() {
        return taken;
    }

    /** Freed clusters waiting for pins to go. */
    public synchronized long limboClusters() {
        return limboClusters;
    }

    /**
     * Off, frees reach the allocator at once whatever the pins: only for the test that shows a
     * zero-copy read can send another file's bytes without them.
     */
    public synchronized void enforce(boolean on) {
        enforced = on;
    }
}
