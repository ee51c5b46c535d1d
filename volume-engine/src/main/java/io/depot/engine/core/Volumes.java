package io.depot.engine.core;

import io.depot.engine.InvalidIoException;
import io.depot.engine.NameInUseException;
import io.depot.engine.NoSuchVolumeException;
import io.depot.engine.VolumeIoObserver;
import io.depot.engine.VolumeIoObservers;
import io.depot.engine.VolumeOwner;
import io.depot.engine.core.Records.PoolRecord;
import io.depot.engine.core.Records.VolumeRecord;
import io.depot.engine.store.MetaBatch;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's live volumes, indexed by id, name and UUID (protocol layers look them up per request),
 * and the changes to a volume's identity and size: create, rename, resize. Changes run under the
 * admin lock; lookups take no lock.
 */
final class Volumes {
    private static final Logger log = LoggerFactory.getLogger(Volumes.class);

    private final PoolContext ctx;
    private final Map<Long, VolumeState> byId = new ConcurrentHashMap<>();
    private final Map<String, VolumeState> byName = new ConcurrentHashMap<>();
    private final Map<UUID, VolumeState> byUuid = new ConcurrentHashMap<>();
    /** Where each volume gets its I/O observer (metrics); changed under the admin lock. */
    private volatile VolumeIoObservers ioObservers = VolumeIoObservers.NONE;

    Volumes(PoolContext ctx) {
        this.ctx = ctx;
    }

    // ---------------------------------------------------------------- lookups

    VolumeState byId(long id) { return byId.get(id); }

    boolean contains(long id) { return byId.containsKey(id); }

    Collection<VolumeState> all() { return byId.values(); }

    int count() { return byId.size(); }

    /** Every volume, by id. */
    List<VolumeState> sorted() {
        List<VolumeState> list = new ArrayList<>(byId.values());
        list.sort(Comparator.comparingLong(VolumeState::id));
        return list;
    }

    VolumeState named(String name) {
        VolumeState v = name == null ? null : byName.get(name);
        if (v == null) {
            throw new NoSuchVolumeException("no volume named '" + name + "'");
        }
        return v;
    }

    VolumeState withUuid(UUID uuid) {
        VolumeState v = uuid == null ? null : byUuid.get(uuid);
        if (v == null) {
            throw new NoSuchVolumeException("no volume with id " + uuid);
        }
        return v;
    }

    /** Volumes that read through {@code origin}'s snapshot at {@code epoch} (any of its snapshots if epoch is -1). */
    List<VolumeState> dependents(VolumeState origin, long epoch) {
        List<VolumeState> out = new ArrayList<>();
        for (VolumeState v : byId.values()) {
            if (v.origin() == origin && (epoch < 0 || v.originEpoch() == epoch)) {
                out.add(v);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- changes

    VolumeState create(String name, long sizeBytes, VolumeOwner owner) {
        checkName(name);
        checkSize(sizeBytes);
        ctx.lockAdmin();
        try {
            requireFreeName(name);
            return insert(name, sizeBytes, owner, null, 0, false);
        } finally {
            ctx.unlockAdmin();
        }
    }

    /** Stores and indexes a new volume (under the admin lock, its name checked free). */
    VolumeState insert(String name, long sizeBytes, VolumeOwner owner, VolumeState origin, long originEpoch, boolean flattening) {
        Objects.requireNonNull(owner, "owner");
        PoolRecord p = ctx.poolRecord();
        long id = p.nextVolumeId();
        VolumeRecord r = new VolumeRecord(id, UUID.randomUUID(), name, sizeBytes, 1,
                origin == null ? 0 : origin.id(), originEpoch, flattening, System.currentTimeMillis(), owner);
        ctx.writePoolRecord(p.withNextVolumeId(id + 1), new MetaBatch().put(Keys.volume(id), r.encode()));
        VolumeState vs = new VolumeState(ctx, r);
        vs.attachOrigin(origin);
        index(vs);
        log.info("created volume {} ({}), {} bytes{}{}", name, r.uuid(), sizeBytes,
                origin == null ? "" : ", clone of " + origin.name() + " at epoch " + originEpoch,
                owner.isUser() ? "" : ", owned by " + owner);
        return vs;
    }

    /** Adds a volume to the indexes (at open, or once created). */
    void index(VolumeState v) {
        v.observeWith(ioObservers.open(v.name(), v.owner()));
        byId.put(v.id(), v);
        byName.put(v.name(), v);
        byUuid.put(v.uuid(), v);
    }

    /** Takes a deleted volume out of the indexes and the cache. */
    void unindex(VolumeState v) {
        byId.remove(v.id());
        byName.remove(v.name(), v);
        byUuid.remove(v.uuid(), v);
        ctx.cache.removeDirectory(v.id());
        ioObservers.close(v.io());
        v.observeWith(VolumeIoObserver.NONE);
    }

    /** Gives every volume, those open now and those to come, an I/O observer from {@code observers}. */
    void observeIo(VolumeIoObservers observers) {
        ctx.lockAdmin();
        try {
            VolumeIoObservers old = ioObservers;
            ioObservers = observers;
            for (VolumeState v : byId.values()) {
                old.close(v.io());
                v.observeWith(observers.open(v.name(), v.owner()));
            }
        } finally {
            ctx.unlockAdmin();
        }
    }

    void rename(VolumeState v, String newName) {
        checkName(newName);
        ctx.lockAdmin();
        try {
            v.checkAlive();
            if (v.name().equals(newName)) {
                return;
            }
            requireFreeName(newName);
            String old = v.name();
            v.renameTo(newName);
            persistOrUndo(v, () -> v.renameTo(old));
            byName.remove(old, v);
            byName.put(newName, v);
            ioObservers.close(v.io());
            v.observeWith(ioObservers.open(newName, v.owner()));
            log.info("renamed volume {} to {}", old, newName);
        } finally {
            ctx.unlockAdmin();
        }
    }

    /** Hands a volume to another owner (a layer adopting what an older build made for it), durably. */
    void setOwner(VolumeState v, VolumeOwner owner) {
        Objects.requireNonNull(owner, "owner");
        ctx.lockAdmin();
        try {
            v.checkAlive();
            VolumeOwner old = v.owner();
            if (old.equals(owner)) {
                return;
            }
            v.ownedBy(owner);
            persistOrUndo(v, () -> v.ownedBy(old));
            ioObservers.close(v.io());
            v.observeWith(ioObservers.open(v.name(), owner));
            log.info("volume {} now belongs to {} (was {})", v.name(), owner, old);
        } finally {
            ctx.unlockAdmin();
        }
    }

    /** Grows a volume, or shrinks it when {@code allowShrink} (the cut-off data is unmapped). */
    void resize(VolumeState v, long newSize, boolean allowShrink) {
        checkSize(newSize);
        ctx.lockAdmin();
        try {
            v.checkAlive();
            long old = v.sizeBytes();
            if (newSize < old && !allowShrink) {
                throw new InvalidIoException("shrinking volume " + v.name() + " from " + old + " to " + newSize
                        + " bytes discards data; ask for it explicitly");
            }
            if (newSize < old) {
                // cut the tail with I/O drained; the size changes only once the tail is gone (zeroing a
                // partial end cluster may need a free cluster and fail out of space: then nothing changed size)
                v.drainIo();
                try {
                    v.unmapRange(newSize, old - newSize);
                    v.resizeTo(newSize);
                } finally {
                    v.resumeIo();
                }
                ctx.pipeline.flush();
            } else {
                v.resizeTo(newSize);
            }
            persist(v);
            log.info("resized volume {} from {} to {} bytes", v.name(), old, newSize);
        } finally {
            ctx.unlockAdmin();
        }
    }

    /** Stores the volume's record; if the store refuses, {@code undo} puts back what the record still says. */
    private void persistOrUndo(VolumeState v, Runnable undo) {
        try {
            persist(v);
        } catch (RuntimeException e) {
            undo.run();
            throw e;
        }
    }

    /** Stores the volume's record as it is now. */
    void persist(VolumeState v) {
        ctx.meta.write(new MetaBatch().put(Keys.volume(v.id()), v.record().encode()));
    }

    void requireFreeName(String name) {
        if (byName.containsKey(name)) {
            throw new NameInUseException("a volume named '" + name + "' already exists");
        }
    }

    /** Refuses a volume or snapshot name the layers above could not carry. */
    static void checkName(String name) {
        if (name == null || name.isEmpty() || name.length() > 128 || !name.matches("[A-Za-z0-9._:-]+") || name.startsWith(".")) {
            throw new InvalidIoException("invalid name '" + name + "': use 1-128 letters, digits, '.', '_', ':' or '-', not starting with '.'");
        }
    }

    private static void checkSize(long size) {
        if (size <= 0 || size % 512 != 0 || size > PoolContext.MAX_VOLUME_BYTES) {
            throw new InvalidIoException("volume size must be a positive multiple of 512 bytes up to 64 TiB, not " + size);
        }
    }
}
