package io.depot.appliance.metrics;

import io.depot.engine.VolumeIoObserver;
import io.depot.engine.VolumeIoObservers;
import io.depot.engine.VolumeOwner;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * Per-volume I/O meters: {@code depot_volume_io_seconds{volume, op}} (a latency histogram whose
 * count is the number of operations) and {@code depot_volume_io_bytes_total{volume, op}}. Each
 * volume's timers and counters are looked up once, when the engine opens the volume, and held by
 * its observer, so an I/O costs a histogram and a counter update and no lookup.
 *
 * <p>The NFS gateway's file volumes (owned by {@link VolumeOwner.Kind#NFS_FILE}, one per file) share one series,
 * {@code volume="nfs-files"}: a datastore can hold thousands of files, and per-procedure NFS
 * figures come from {@link NfsMeters}.
 */
final class VolumeIoMeters implements VolumeIoObservers {
    static final String IO = "depot.volume.io";
    static final String BYTES = "depot.volume.io.bytes";
    static final String NFS_FILES = "nfs-files";

    private final MeterRegistry registry;
    private final Meters nfsFiles;

    VolumeIoMeters(MeterRegistry registry) {
        this.registry = registry;
        this.nfsFiles = new Meters(registry, NFS_FILES);
    }

    @Override
    public VolumeIoObserver open(String volumeName, VolumeOwner owner) {
        return owner.kind() == VolumeOwner.Kind.NFS_FILE ? nfsFiles : new Meters(registry, volumeName);
    }

    @Override
    public void close(VolumeIoObserver observer) {
        if (observer instanceof Meters m && m != nfsFiles) {
            m.remove(registry); // a deleted or renamed volume's series go away with it
        }
    }

    /** The meters of one volume. */
    private static final class Meters implements VolumeIoObserver {
        private final Timer read, write, flush, unmap;
        private final Counter readBytes, writeBytes, unmapBytes;

        Meters(MeterRegistry registry, String volume) {
            read = timer(registry, volume, "read");
            write = timer(registry, volume, "write");
            flush = timer(registry, volume, "flush");
            unmap = timer(registry, volume, "unmap");
            readBytes = bytes(registry, volume, "read");
            writeBytes = bytes(registry, volume, "write");
            unmapBytes = bytes(registry, volume, "unmap");
        }

        private static Timer timer(MeterRegistry registry, String volume, String op) {
            return Latency.timer(registry, IO, "Completed volume I/O operations and their latency in the engine",
                    Tags.of("volume", volume, "op", op));
        }

        private static Counter bytes(MeterRegistry registry, String volume, String op) {
            return Counter.builder(BYTES).baseUnit("bytes").description("Bytes read, written or unmapped by volume I/O")
                    .tags("volume", volume, "op", op).register(registry);
        }

        @Override
        public void read(int bytes, long nanos) {
            read.record(nanos, TimeUnit.NANOSECONDS);
            readBytes.increment(bytes);
        }

        @Override
        public void write(int bytes, long nanos) {
            write.record(nanos, TimeUnit.NANOSECONDS);
            writeBytes.increment(bytes);
        }

        @Override
        public void flush(long nanos) {
            flush.record(nanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void unmap(long bytes, long nanos) {
            unmap.record(nanos, TimeUnit.NANOSECONDS);
            unmapBytes.increment(bytes);
        }

        void remove(MeterRegistry registry) {
            for (var m : new io.micrometer.core.instrument.Meter[] {read, write, flush, unmap, readBytes, writeBytes, unmapBytes}) {
                registry.remove(m);
            }
        }
    }
}
