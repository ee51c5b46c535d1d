package io.depot.engine.sim;

import java.util.NavigableMap;

/** A snapshot in the reference model: its exact contents (sector -> write number, absent = zeros) frozen at creation. */
record SnapshotModel(String name, long sizeBytes, NavigableMap<Long, Long> frozen) {}
