package io.depot.engine.bench;

import io.depot.engine.Pool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.stream.Stream;

/** Scratch files of a run: the raw baseline file, waiting for background reclaim, removal. */
final class Scratch {
    private Scratch() {}

    /**
     * A plain file of {@code size} bytes, every block written (allocated on disk) and synced, in
     * {@code block}-sized writes. The write size matters: on recent kernels ext4 caches a file in
     * folios as large as the writes that filled it, and a 4 KiB overwrite into a 1 MiB folio costs
     * about twice one into a 64 KiB folio. The engine writes its data file a cluster at a time, so
     * the baseline is filled a cluster at a time too (-Dbench.preallocBlock overrides it).
     */
    static FileChannel preallocatedFile(Path path, long size, int threads, int clusterSize) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        int block = Integer.getInteger("bench.preallocBlock", clusterSize);
        TimedRound.run(IoTarget.of(ch), OffsetPattern.sequentialSlices(threads, size, block),
                TimedRound.buffers(threads, block, 7), true);
        return ch;
    }

    /**
     * Waits until the pool's background reclaim has brought its used space down to {@code usedBytes}
     * or less, so that reclaim of a deleted volume never runs inside the next measured round.
     */
    static void awaitUsedAtMost(Pool pool, long usedBytes) {
        long deadline = System.nanoTime() + 300_000_000_000L;
        while (pool.usage().usedBytes() > usedBytes) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("background reclaim did not finish in 300 s: used "
                        + pool.usage().usedBytes() + " > " + usedBytes);
            }
            try {
                Thread.sleep(10);   // polling an idle-state condition between rounds, not timed
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void fsync(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    /** Drops a file's clean pages from the OS page cache (dd's nocache flag: posix_fadvise DONTNEED). */
    static void dropPageCache(Path file) {
        try {
            Process p = new ProcessBuilder("dd", "if=" + file, "iflag=nocache", "count=0").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IllegalStateException("dd iflag=nocache of " + file + " failed: " + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static ByteBuffer filled(int size, long seed) {
        return TimedRound.buffers(1, size, seed)[0];
    }
}
