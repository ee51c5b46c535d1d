package io.depot.engine;

/** A byte range of a volume; {@code data} false means it reads as zeros (unmapped). */
public record Extent(long offset, long length, boolean data) {}
