package io.depot.appliance.backup;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.depot.appliance.daemon.Appliance;
import io.depot.engine.CatalogNamespace;
import io.depot.engine.NoSuchSnapshotException;
import io.depot.engine.NoSuchVolumeException;
import io.depot.engine.Pool;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores a backup stream into the pool, verifying it as it arrives.
 *
 * <p>A <b>full</b> stream makes a new volume: it is written under the name {@code NAME.partial}, and
 * only once the trailer has checked out does it get its snapshot (named as the source's) and its
 * real name. An <b>incremental</b> stream applies onto an existing volume whose latest snapshot is
 * the stream's base: a snapshot that an earlier import made from that very source snapshot (the pool
 * remembers, per imported snapshot, which source snapshot it is), so a chain full, incr, incr... keeps
 * going. The volume's head must equal that snapshot (nothing written since) unless {@code force},
 * which rolls it back first, as {@code zfs receive -F} does. The import then ends with a snapshot
 * named as the source's, and the next incremental can follow.
 *
 * <p>Any failure (a bad record, truncation, the client going away) undoes the import: the new volume
 * is deleted, or the existing one rolled back to its base snapshot. A crash in the middle leaves a
 * journal entry in the pool's catalog that {@link #recover} undoes at the next start. The data is
 * written outside the appliance's change lock (an import may take hours); only the checks before and
 * the snapshot after are serialised with other changes.
 */
public final class BackupImport {
    private static final Logger log = LoggerFactory.getLogger(BackupImport.class);
    /** The catalog namespace of the import journal ({@link #IMPORTING}) and of imported snapshots' origins ({@link #RECEIVED}). */
    private static final String NAMESPACE = "backup";
    private static final String IMPORTING = "importing/";
    private static final String RECEIVED = "received/";
    static final String PARTIAL_SUFFIX = ".partial";
    /** The throwaway snapshot that compares a volume's head with its base; one a crash left is deleted at start. */
    private static final String CHECK_PREFIX = "import-check-";
    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** Where an imported snapshot came from. */
    public record Received(UUID sourcePool, UUID sourceVolume, UUID sourceSnapshot, String sourceName) {}

    /** An import under way: undone by deleting {@code partialName} (full) or rolling {@code volume} back to {@code base}. */
    record Journal(String kind, String partialName, UUID volume, UUID base) {}

    public record Result(StreamHeader header, Volume volume, Snapshot snapshot, BackupReader.Totals totals) {}

    private record Target(String journalKey, Journal journal, Volume volume) {}

    private final Appliance appliance;

    public BackupImport(Appliance appliance) {
        this.appliance = appliance;
    }

    /**
     * Imports the stream {@code in} into the volume {@code name}: a new one for a full stream, an
     * existing one for an incremental. Reads {@code in} up to the end of the stream.
     */
    public Result run(String name, InputStream in, boolean force) throws Exception {
        BackupReader reader = new BackupReader(in);
        StreamHeader h = reader.readHeader();
        Target t = appliance.mutate(() -> h.incremental() ? prepareIncremental(name, h, force) : prepareFull(name, h));
        try {
            BackupReader.Totals totals = reader.readRecords(new VolumeSink(t.volume()));
            Result r = appliance.mutate(() -> finish(t, h, totals, name));
            log.info("imported {} into volume {}: {} records, {} data bytes", h.describe(), name, totals.records(), totals.dataBytes());
            return r;
        } catch (Throwable e) {
            log.warn("import of {} into volume {} failed, undoing it: {}", h.describe(), name, e.toString());
            undo(t.journalKey(), t.journal());
            throw e;
        }
    }

    private Target prepareFull(String name, StreamHeader h) throws IOException {
        if (exists(name)) {
            throw new ImportRefusedException("name-in-use", "a volume named '" + name + "' already exists; a full stream "
                    + "restores into a new volume (an incremental stream applies onto an existing one)");
        }
        String partial = name + PARTIAL_SUFFIX;
        if (exists(partial)) {
            throw new ImportRefusedException("name-in-use", "volume '" + partial + "' exists: another import into '" + name
                    + "' is running, or an earlier one left it; delete it first");
        }
        // the journal first: a crash after it is undone at the next start, whatever came after
        Journal j = new Journal("full", partial, null, null);
        String key = IMPORTING + UUID.randomUUID();
        records().put(key, JSON.writeValueAsBytes(j));
        try {
            return new Target(key, j, pool().createVolume(partial, h.volumeSize()));
        } catch (RuntimeException e) {
            records().delete(key);
            throw e;
        }
    }

    private Target prepareIncremental(String name, StreamHeader h, boolean force) throws IOException {
        Volume v = pool().volume(name);
        List<String> luns = appliance.lunsOf(v.uuid(), null);
        if (!luns.isEmpty()) {
            throw new ImportRefusedException("mapped", "volume " + name + " is served at iSCSI LUN(s) " + luns
                    + "; unmap it before applying an incremental (its initiators would see the data change under them)");
        }
        List<Snapshot> snaps = v.snapshots();
        Snapshot latest = snaps.isEmpty() ? null : snaps.get(snaps.size() - 1);
        Received from = latest == null ? null : received(latest.uuid());
        boolean matches = latest != null && (latest.uuid().equals(h.baseSnapshot())
                || from != null && from.sourceSnapshot().equals(h.baseSnapshot()));
        if (!matches) {
            String has = latest == null ? "has no snapshot" : "has " + latest.name() + " as its latest snapshot ("
                    + (from == null ? "taken here, not imported" : "imported from snapshot " + from.sourceSnapshot()) + ")";
            throw new ImportRefusedException("wrong-base", "this stream applies on top of " + h.volumeName() + "@" + h.baseName()
                    + " (snapshot " + h.baseSnapshot() + "), but volume " + name + " " + has
                    + "; apply the streams in order, starting with a full one into a new volume");
        }
        if (snaps.stream().anyMatch(s -> s.name().equals(h.snapshotName()))) {
            throw new ImportRefusedException("name-in-use", "volume " + name + " already has a snapshot named " + h.snapshotName()
                    + " (this stream was applied already?)");
        }
        if (headChangedSince(v, latest)) {
            if (!force) {
                throw new ImportRefusedException("replica-changed", "volume " + name + " was written since its snapshot "
                        + latest.name() + "; importing would mix those writes with the backup. Force it to discard them "
                        + "(the volume is rolled back to " + latest.name() + " first)");
            }
            log.warn("import into {}: discarding what was written since snapshot {} (forced)", name, latest.name());
            latest.rollback(false);
        }
        Journal j = new Journal("incremental", null, v.uuid(), latest.uuid());
        String key = IMPORTING + UUID.randomUUID();
        records().put(key, JSON.writeValueAsBytes(j));
        if (h.volumeSize() > v.sizeBytes()) {
            v.grow(h.volumeSize());
        } else if (h.volumeSize() < v.sizeBytes()) {
            v.shrink(h.volumeSize());
        }
        return new Target(key, j, v);
    }

    /**
     * True if the head differs from {@code snapshot}: a throwaway snapshot of the head compared with it
     * through the engine's diff (the head itself has no diff of its own).
     */
    private static boolean headChangedSince(Volume v, Snapshot snapshot) {
        Snapshot now = v.createSnapshot(CHECK_PREFIX + UUID.randomUUID().toString().substring(0, 8));
        try {
            return now.sizeBytes() != snapshot.sizeBytes() || !now.changedSince(snapshot).isEmpty();
        } finally {
            now.delete();
        }
    }

    private Result finish(Target t, StreamHeader h, BackupReader.Totals totals, String name) throws IOException {
        Volume v = t.volume();
        v.flush();
        Snapshot s = v.createSnapshot(h.snapshotName());
        if (!v.name().equals(name)) {
            v.rename(name); // the partial volume gets its real name only now
        }
        Map<String, byte[]> changes = new HashMap<>();
        changes.put(RECEIVED + s.uuid(), JSON.writeValueAsBytes(
                new Received(h.sourcePool(), h.sourceVolume(), h.snapshot(), h.snapshotName())));
        changes.put(t.journalKey(), null);
        records().apply(changes);
        return new Result(h, pool().volume(v.uuid()), s, totals);
    }

    /** Undoes a failed import; if even that fails, the journal stays for {@link #recover} at the next start. */
    private void undo(String key, Journal j) {
        try {
            appliance.mutate(() -> {
                undo(pool(), j);
                records().delete(key);
                return null;
            });
        } catch (Exception e) {
            log.error("could not undo the failed import ({}); it is retried at the next start", j, e);
        }
    }

    private static void undo(Pool pool, Journal j) {
        if ("full".equals(j.kind())) {
            try {
                pool.volume(j.partialName()).delete();
                log.info("deleted {}, the volume of an import that did not finish", j.partialName());
            } catch (NoSuchVolumeException gone) {
                // nothing was created, or it was deleted already
            }
            return;
        }
        try {
            Volume v = pool.volume(j.volume());
            Snapshot base = v.snapshots().stream().filter(s -> s.uuid().equals(j.base())).findFirst()
                    .orElseThrow(() -> new NoSuchSnapshotException("snapshot " + j.base() + " of " + v.name() + " is gone"));
            base.rollback(true);
            log.info("rolled volume {} back to snapshot {}, undoing an import that did not finish", v.name(), base.name());
        } catch (NoSuchVolumeException | NoSuchSnapshotException gone) {
            log.warn("cannot undo an unfinished import into volume {}: {}", j.volume(), gone.getMessage());
        }
    }

    /**
     * At start: undoes imports a crash interrupted (deleting their partial volumes, rolling volumes back
     * to their base snapshots) and forgets the origin of imported snapshots that no longer exist.
     */
    public static void recover(Pool pool) {
        CatalogNamespace<byte[]> records = records(pool);
        records.list(IMPORTING).forEach((key, value) -> {
            try {
                undo(pool, JSON.readValue(value, Journal.class));
            } catch (IOException e) {
                log.error("unreadable import journal entry {}; dropping it", key, e);
            }
            records.delete(key);
        });
        Set<String> live = new HashSet<>();
        for (Volume v : pool.volumes()) {
            for (Snapshot s : v.snapshots()) {
                if (s.name().startsWith(CHECK_PREFIX)) {
                    try {
                        s.delete();
                        log.info("deleted {}, a check snapshot an interrupted import left", s);
                    } catch (RuntimeException e) {
                        log.warn("cannot delete {}, a check snapshot an interrupted import left: {}", s, e.getMessage());
                    }
                } else {
                    live.add(RECEIVED + s.uuid());
                }
            }
        }
        records.list(RECEIVED).keySet().stream().filter(k -> !live.contains(k)).forEach(records::delete);
    }

    /** Where snapshot {@code id} of this pool was imported from, or null if it was taken here. */
    public Received received(UUID id) {
        byte[] v = records().get(RECEIVED + id);
        if (v == null) {
            return null;
        }
        try {
            return JSON.readValue(v, Received.class);
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable origin record of snapshot " + id, e);
        }
    }

    private boolean exists(String name) {
        try {
            pool().volume(name);
            return true;
        } catch (NoSuchVolumeException e) {
            return false;
        }
    }

    private Pool pool() { return appliance.pool(); }

    private CatalogNamespace<byte[]> records() { return records(pool()); }

    private static CatalogNamespace<byte[]> records(Pool pool) { return pool.catalog().namespace(NAMESPACE); }

    /** Applies verified records to the volume: data written, zero ranges unmapped. */
    private record VolumeSink(Volume volume) implements BackupReader.Sink {
        @Override
        public void data(long offset, ByteBuffer payload) {
            volume.write(offset, payload);
        }

        @Override
        public void zero(long offset, long length) {
            volume.unmap(offset, length);
        }
    }
}
