package io.depot.nfs.fs;

/** Space and file counts of a datastore (from the pool's usage), for FSSTAT. */
public record FsStats(long totalBytes, long freeBytes, long availableBytes, long totalFiles, long freeFiles) {}
