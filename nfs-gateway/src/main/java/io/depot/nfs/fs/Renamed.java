package io.depot.nfs.fs;

/** Both directories of a rename, before and after (the same directory twice for a rename within one). */
public record Renamed(Change from, Change to) {}
