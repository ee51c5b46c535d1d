package io.depot.nfs.fs;

/** A write: the file before and after, the bytes taken, and how durable they already are. */
public record WriteResult(Change file, int count, Stability committed) {}
