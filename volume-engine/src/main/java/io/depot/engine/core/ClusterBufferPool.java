package io.depot.engine.core;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Direct buffers of one cluster for copy-on-write images and flatten copies. A pool, not a
 * {@code ThreadLocal}: the protocol layers run each request on its own virtual thread, so a
 * per-thread buffer would be a fresh direct allocation (and a Cleaner to free it) per request.
 * At most {@code maxIdle} buffers are kept; a burst beyond that allocates and lets the extras go.
 */
final class ClusterBufferPool {
    private final int clusterSize;
    private final int maxIdle;
    private final ConcurrentLinkedDeque<ByteBuffer> idle = new ConcurrentLinkedDeque<>();
    private final AtomicInteger idleCount = new AtomicInteger();

    ClusterBufferPool(int clusterSize, int maxIdle) {
        this.clusterSize = clusterSize;
        this.maxIdle = maxIdle;
    }

    /** A cleared buffer of one cluster; give it back with {@link #release}. */
    ByteBuffer acquire() {
        ByteBuffer b = idle.pollFirst();
        if (b == null) {
            return ByteBuffer.allocateDirect(clusterSize);
        }
        idleCount.decrementAndGet();
        return b.clear();
    }

    void release(ByteBuffer b) {
        if (idleCount.incrementAndGet() <= maxIdle) {
            idle.offerFirst(b);   // LIFO: the most recently used buffer is the one likely in cache
        } else {
            idleCount.decrementAndGet();
        }
    }
}
