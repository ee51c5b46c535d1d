package io.depot.engine.bench;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.Volume;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * What a cluster size costs in metadata: one volume of the working-set size written in full
 * (1 MiB sequential writes, flushed) in a pool of its own, then closed and reopened. Opening
 * reads every mapping to rebuild the allocator, so its time grows with the mapping count.
 */
final class MetadataFootprint {
    static final String NAME = "metadata footprint";

    /**
     * @param mappings    head mappings of the volume (allocated bytes / cluster size)
     * @param metaBytes   size of the RocksDB directory after the last close (SST, WAL, manifest)
     * @param sstBytes    the SST files alone
     * @param fillMibPerS the rate of the initial fill, flush included
     * @param openMillis  time of each reopen (the first replays the WAL left by the fill)
     * @param cacheBytes  what the head mappings take in the mapping cache (16 bytes each, plus a 4-byte CRC32C
     *                    per 4 KiB block of the cluster since pool format 2)
     */
    record Result(int clusterSize, long volumeBytes, long mappings, long metaBytes, long sstBytes, double fillMibPerS,
                  double[] openMillis, long cacheBytes) {}

    private MetadataFootprint() {}

    static Result measure(Path dir, BenchOptions o, int opens) {
        Path poolDir = dir.resolve("pool-footprint");
        long size = o.sizeBytes();
        int cs = o.clusterSize();
        double fill;
        try (Pool p = Pool.create(poolDir, PoolOptions.ofCapacity(2 * size).withClusterSize(cs))) {
            Volume v = p.createVolume("full", size);
            long nanos = TimedRound.run(distinct(IoTarget.of(v)), OffsetPattern.sequentialSlices(o.threads(), size, 1 << 20),
                    TimedRound.buffers(o.threads(), 1 << 20, 3), true);
            fill = size / (double) (1 << 20) / (nanos / 1e9);
        }
        double[] open = new double[opens];
        long mappings = 0;
        for (int i = 0; i < opens; i++) {
            long t0 = System.nanoTime();
            try (Pool p = Pool.open(poolDir)) {
                open[i] = (System.nanoTime() - t0) / 1e6;
                mappings = p.volume("full").allocatedBytes() / cs;
            }
        }
        long meta = bytesUnder(poolDir.resolve("meta"), false);
        long sst = bytesUnder(poolDir.resolve("meta"), true);
        Scratch.deleteTree(poolDir);
        System.err.printf("  metadata footprint, %d KiB clusters: %,d mappings, RocksDB %,d bytes (SST %,d; %,.0f bytes per GiB), fill %.0f MiB/s, opens %s ms%n",
                cs >> 10, mappings, meta, sst, meta / (size / (double) (1L << 30)), fill, java.util.Arrays.toString(open));
        return new Result(cs, size, mappings, meta, sst, fill, open, mappings * (16 + 4L * (cs / 4096)));
    }

    /**
     * Stamps each 4 KiB block of every buffer written with its offset first: the fill's buffers are
     * reused, and repeated blocks would give repeated CRC32Cs, which RocksDB's compression would
     * shrink far below what real (distinct) data costs since pool format 2.
     */
    private static IoTarget distinct(IoTarget target) {
        return new IoTarget() {
            public void write(long offset, java.nio.ByteBuffer src) {
                for (int k = 0; k + 4096 <= src.remaining(); k += 4096) {
                    src.putLong(src.position() + k, offset + k);
                }
                target.write(offset, src);
            }

            public void read(long offset, java.nio.ByteBuffer dst) { target.read(offset, dst); }

            public void flush() { target.flush(); }
        };
    }

    private static long bytesUnder(Path dir, boolean sstOnly) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> !sstOnly || f.getFileName().toString().endsWith(".sst"))
                    .mapToLong(f -> {
                        try {
                            return Files.isRegularFile(f) ? Files.size(f) : 0;
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
