package io.depot.engine.bench;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs one measured round: every thread issues its offsets against a target, then (for writes) one
 * flush; the clock runs from the common start signal until the flush returns.
 */
final class TimedRound {
    /** One direct buffer per thread, reused by every round and by both sides. */
    static ByteBuffer[] buffers(int threads, int block, long seed) {
        ByteBuffer[] out = new ByteBuffer[threads];
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int t = 0; t < threads; t++) {
            out[t] = ByteBuffer.allocateDirect(block);
            while (out[t].hasRemaining()) {
                out[t].put((byte) rnd.nextInt(256));   // incompressible, never all zeros
            }
            out[t].clear();
        }
        return out;
    }

    /** Elapsed time of a round, and the part of it spent in the final flush. */
    record Timing(long nanos, long flushNanos) {}

    /** Returns the elapsed nanoseconds. */
    static long run(IoTarget target, long[][] offsets, ByteBuffer[] buffers, boolean write) {
        return timed(target, offsets, buffers, write).nanos();
    }

    static Timing timed(IoTarget target, long[][] offsets, ByteBuffer[] buffers, boolean write) {
        int threads = offsets.length;
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            long[] mine = offsets[t];
            ByteBuffer buf = buffers[t];
            workers[t] = new Thread(() -> {
                ready.countDown();
                try {
                    go.await();
                    for (long off : mine) {
                        buf.clear();
                        if (write) {
                            target.write(off, buf);
                        } else {
                            target.read(off, buf);
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "bench-io-" + t);
            workers[t].start();
        }
        try {
            ready.await();
            long start = System.nanoTime();
            go.countDown();
            for (Thread w : workers) {
                w.join();
            }
            if (failure.get() != null) {
                throw new IllegalStateException("benchmark I/O failed: " + failure.get(), failure.get());
            }
            long ioDone = System.nanoTime();
            if (write) {
                target.flush();
            }
            long end = System.nanoTime();
            return new Timing(end - start, end - ioDone);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
