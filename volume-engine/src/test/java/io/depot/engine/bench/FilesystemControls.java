package io.depot.engine.bench;

import io.depot.engine.bench.Comparison.Result;
import io.depot.engine.bench.Comparison.Side;
import io.depot.engine.bench.Comparison.Unit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Raw-file-only controls that separate the engine's own cost from the filesystem's: the same
 * comparison machinery with a second raw file in the engine's place.
 * <ul>
 * <li>A/A: a second preallocated file vs the baseline file shows the noise and any placement bias.</li>
 * <li>Fresh sparse file vs the baseline file shows what growing a sparse file costs the filesystem
 *     (block allocation at writeback, a journal commit in fdatasync): the engine's data file grows
 *     the same way whenever it hands out a clean cluster.</li>
 * </ul>
 */
final class FilesystemControls {
    private FilesystemControls() {}

    static List<Result> run(BenchOptions o, Path dir, IoTarget baseline, int clusterSize) throws IOException {
        List<Result> out = new ArrayList<>();
        int k4 = 4096;
        int m1 = 1 << 20;
        Side raw = round -> baseline;
        try (FileChannel second = Scratch.preallocatedFile(dir.resolve("raw-second.img"), o.sizeBytes(), o.threads(), clusterSize)) {
            IoTarget other = IoTarget.of(second);
            out.add(Comparison.run("A/A: 4k randwrite, 2nd preallocated file", Unit.IOPS, Double.NaN, "noise check", o, k4, true,
                    r -> OffsetPattern.random(o.seed() + r, o.threads(), o.ops4k(), o.sizeBytes(), k4), round -> other, raw));
            out.add(Comparison.run("A/A: 1m seqwrite, 2nd preallocated file", Unit.MIB_PER_S, Double.NaN, "noise check", o, m1, true,
                    r -> OffsetPattern.sequentialSlices(o.threads(), o.sizeBytes(), m1), round -> other, raw));
        }
        Files.delete(dir.resolve("raw-second.img"));
        int distinct = (int) Math.min(o.ops4k(), o.sizeBytes() / clusterSize);
        out.add(Comparison.run("4k write, 1 per " + (clusterSize >> 10) + "k, fresh sparse file", Unit.IOPS, Double.NaN, "filesystem allocation", o, k4, true,
                r -> OffsetPattern.distinctClusters(o.seed() + r, o.threads(), distinct, o.sizeBytes(), clusterSize, k4),
                freshSparseFiles(dir), raw));
        out.add(Comparison.run("1m seqwrite, fresh sparse file", Unit.MIB_PER_S, Double.NaN, "filesystem allocation", o, m1, true,
                r -> OffsetPattern.sequentialSlices(o.threads(), o.sizeBytes(), m1), freshSparseFiles(dir), raw));
        return out;
    }

    /** A new empty file every round, removed after it. */
    private static Side freshSparseFiles(Path dir) {
        return new Side() {
            FileChannel current;
            Path path;

            public IoTarget prepare(int round) {
                try {
                    path = dir.resolve("sparse-" + round + ".img");
                    current = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
                    return IoTarget.of(current);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            public void cleanUp(int round) {
                try {
                    current.close();
                    Files.delete(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }
}
