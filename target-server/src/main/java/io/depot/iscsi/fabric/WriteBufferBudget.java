package io.depot.iscsi.fabric;

import java.util.ArrayDeque;

/**
 * Write data one connection may hold in gathering buffers. A task whose buffer would exceed the
 * budget is not solicited (no R2T) until earlier tasks free theirs, so a client cannot make us
 * hold window x 8 MiB of data at once; one buffer is always admitted so a maximal command still
 * runs. Touched only on the connection's event loop.
 */
final class WriteBufferBudget {
    /** The budget of a connection. */
    static final long CONNECTION_BYTES = 64L << 20;

    private final long limit;
    private long buffered;
    /** Tasks waiting for room to be solicited, oldest first. */
    private final ArrayDeque<IscsiTask> waiting = new ArrayDeque<>();

    WriteBufferBudget(long limit) {
        this.limit = limit;
    }

    /** True if a buffer of {@code bytes} fits now (it always does when nothing is buffered). */
    boolean admits(int bytes) {
        return buffered == 0 || buffered + bytes <= limit;
    }

    void charge(int bytes) { buffered += bytes; }

    void refund(int bytes) { buffered -= bytes; }

    long buffered() { return buffered; }

    /** Queues a task until {@link #nextAdmitted} lets it go (once, however often it asks). */
    void waitForRoom(IscsiTask task) {
        if (!waiting.contains(task)) {
            waiting.add(task);
        }
    }

    void forget(IscsiTask task) { waiting.remove(task); }

    /** The oldest waiting task whose buffer now fits, taken off the queue; null if none. */
    IscsiTask nextAdmitted() {
        IscsiTask next = waiting.peek();
        if (next == null || !admits(next.needed())) {
            return null;
        }
        return waiting.poll();
    }
}
