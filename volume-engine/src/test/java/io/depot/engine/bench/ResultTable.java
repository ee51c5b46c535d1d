package io.depot.engine.bench;

import io.depot.engine.bench.Comparison.Result;
import java.io.PrintStream;
import java.util.List;

/** Prints the results as markdown tables. */
final class ResultTable {
    private ResultTable() {}

    static void print(PrintStream out, BenchOptions o, List<Result> results, List<SnapshotLatency.Result> latencies,
                      List<Result> controls, MetadataFootprint.Result footprint) {
        out.printf("%n## Engine vs raw file: %d MiB working set, %s clusters, %d threads, median of %d interleaved rounds (+%d warm-up)%n%n",
                o.sizeBytes() >> 20, EngineBench.kib(o.clusterSize()), o.threads(), o.rounds(), o.warmup());
        if (!results.isEmpty()) {
            out.println("| workload | unit | depot | raw | depot/raw | target | met | depot min-max | raw min-max | note |");
            out.println("|---|---|---:|---:|---:|---:|:---:|---:|---:|---|");
            for (Result r : results) {
                boolean hasTarget = !Double.isNaN(r.targetRatio());
                out.printf("| %s | %s | %s | %s | %.2f | %s | %s | %s-%s | %s-%s | %s |%n",
                        r.name(), r.unit().label(), num(r.depotMedian()), num(r.rawMedian()), r.ratio(),
                        hasTarget ? String.format(">= %.1f", r.targetRatio()) : "-",
                        hasTarget ? (r.ratio() >= r.targetRatio() ? "yes" : "**no**") : "-",
                        num(Stats.min(r.depot())), num(Stats.max(r.depot())), num(Stats.min(r.raw())), num(Stats.max(r.raw())),
                        r.note());
            }
        }
        if (!latencies.isEmpty()) {
            out.printf("%n### Snapshot creation (one call at a time, %d snapshots per case)%n%n", o.snapshots());
            out.println("| case | median ms | p99 ms | max ms | target | met |");
            out.println("|---|---:|---:|---:|---:|:---:|");
            for (SnapshotLatency.Result l : latencies) {
                out.printf("| %s | %.2f | %.2f | %.2f | < 5 ms | %s |%n", l.name(), l.median(), l.p99(), l.max(),
                        l.median() < 5 ? (l.p99() < 5 ? "yes" : "median only") : "**no**");
            }
        }
        if (!controls.isEmpty()) {
            out.printf("%n### Controls (raw files only; the \"variant\" column is the variant named: CRC32C cost, filesystem controls)%n%n");
            out.println("| control | unit | variant | raw preallocated | ratio | variant min-max | raw min-max | note |");
            out.println("|---|---|---:|---:|---:|---:|---:|---|");
            for (Result r : controls) {
                out.printf("| %s | %s | %s | %s | %.2f | %s-%s | %s-%s | %s |%n", r.name(), r.unit().label(),
                        num(r.depotMedian()), num(r.rawMedian()), r.ratio(), num(Stats.min(r.depot())), num(Stats.max(r.depot())),
                        num(Stats.min(r.raw())), num(Stats.max(r.raw())), r.note());
            }
        }
        if (footprint != null) {
            MetadataFootprint.Result f = footprint;
            out.printf("%n### Metadata footprint (%d MiB volume written in full, %s clusters)%n%n", f.volumeBytes() >> 20,
                    EngineBench.kib(f.clusterSize()));
            out.println("| cluster | mappings | RocksDB bytes | of which SST | RocksDB per GiB | head cache | fill MiB/s | reopen ms (each) |");
            out.println("|---:|---:|---:|---:|---:|---:|---:|---|");
            StringBuilder opens = new StringBuilder();
            for (double ms : f.openMillis()) {
                opens.append(opens.isEmpty() ? "" : ", ").append(String.format("%.0f", ms));
            }
            out.printf("| %s | %,d | %,d | %,d | %.2f MB | %.1f MiB | %s | %s |%n", EngineBench.kib(f.clusterSize()), f.mappings(),
                    f.metaBytes(), f.sstBytes(), f.metaBytes() / 1e6 / (f.volumeBytes() / (double) (1L << 30)),
                    f.cacheBytes() / (double) (1 << 20), num(f.fillMibPerS()), opens);
        }
        out.println();
        out.println("Notes: the raw side is positional FileChannel I/O on a plain file of the working-set size, fully");
        out.println("written (in cluster-sized writes, as the engine fills its data file: ext4 caches a file in folios");
        out.println("as large as the writes that filled it, which changes 4 KiB costs ~2x) and synced beforehand,");
        out.println("on the same filesystem as the pool. Both sides use the same threads,");
        out.println("the same offsets and the same direct buffers. The data fits in RAM, so reads come from the page");
        out.println("cache on both sides and writes reach the disk through the flush (engine flush / fdatasync) that");
        out.println("ends every write round and is counted in its time. 4 KiB first-write and COW rounds touch each");
        out.println("cluster once; the raw side writes the same offsets into its preallocated file.");
    }

    private static String num(double v) {
        return v >= 100 ? String.format("%,.0f", v) : String.format("%.1f", v);
    }
}
