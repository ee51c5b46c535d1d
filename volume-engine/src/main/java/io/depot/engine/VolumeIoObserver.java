package io.depot.engine;

/**
 * Told about every completed I/O of one volume, on the thread that did it: the seam for metrics.
 * Called on the hot path, so an implementation must be cheap and must not allocate (hold its
 * counters and timers in fields, resolved when {@link VolumeIoObservers#open} made it). Failed
 * calls (out of space, bad range) are not reported. Latencies are in nanoseconds.
 */
public interface VolumeIoObserver {
    void read(int bytes, long nanos);

    /** A write, a compare-and-write (its replacement bytes) or a forced-unit-access write. */
    void write(int bytes, long nanos);

    void flush(long nanos);

    /** An unmap or write-zeroes of {@code bytes}. */
    void unmap(long bytes, long nanos);

    /** Observes nothing: the default until the pool is given {@link VolumeIoObservers}. */
    VolumeIoObserver NONE = new VolumeIoObserver() {
        @Override public void read(int bytes, long nanos) {}

        @Override public void write(int bytes, long nanos) {}

        @Override public void flush(long nanos) {}

        @Override public void unmap(long bytes, long nanos) {}
    };
}
