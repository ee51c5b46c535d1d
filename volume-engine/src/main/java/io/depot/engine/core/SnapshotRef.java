package io.depot.engine.core;

import io.depot.engine.core.Records.SnapshotRecord;

/** A snapshot and the volume it belongs to: the volume's view frozen at {@code epoch}. */
public record SnapshotRef(VolumeState volume, long epoch, SnapshotRecord record) {}
