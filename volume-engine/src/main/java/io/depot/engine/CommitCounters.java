package io.depot.engine;

/**
 * How much durability work a pool has done since it opened, for tests and benchmarks: commits
 * made, fdatasyncs of the data file, and syncs of the metadata log (WAL). One commit makes data,
 * mappings and catalog changes durable together, with at most one of each sync.
 */
public record CommitCounters(long commits, long dataSyncs, long walSyncs) {
    /** The work done between {@code before} and this reading. */
    public CommitCounters minus(CommitCounters before) {
        return new CommitCounters(commits - before.commits, dataSyncs - before.dataSyncs, walSyncs - before.walSyncs);
    }
}
