package io.depot.engine;

/**
 * What a read from memory found ({@link CatalogNamespace#getCached}): a value, or null for none.
 * A read that could only be answered from disk returns no {@code CachedValue} at all.
 */
public record CachedValue<V>(V value) {}
