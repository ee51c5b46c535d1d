package io.depot.nfs.fs;

import io.depot.engine.EngineException;
import io.depot.engine.NoSuchSnapshotException;
import io.depot.engine.Pool;
import io.depot.engine.Volume;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine volumes that hold regular files' bytes: file {@code INO}'s volume is named
 * {@code nfs.INO} ({@link NamespaceKeys#volumeName}) and owned by the datastore
 * ({@link NamespaceKeys#FILE_VOLUME_OWNER}): the owner, not the name, tells a file's volume from
 * a user's. Volumes an older build made before volumes had owners are adopted at open: those an
 * inode (live or frozen in an export snapshot) references.
 *
 * <h2>Crash safety</h2>
 * A volume is made lazily ({@link #withVolume}: CREATE makes none) and exists, durably, before
 * the inode names it; a remove commits the namespace change first and only then deletes the
 * volume, in the background ({@link #deleteAfterRemoval}). A crash in between leaves a file
 * volume that no inode references: the sweep at open ({@link #recover}) deletes
 * those before serving. An inode whose volume is missing (deleted behind our back) gets a new
 * empty volume and size 0, loudly logged.
 */
final class FileVolumes {
    private static final Logger log = LoggerFactory.getLogger(FileVolumes.class);

    private final Pool pool;
    private final NamespaceStore namespace;
    /**
     * Every file volume by id: the engine finds a volume by id or name with a scan of all its
     * volumes, which a datastore of many files cannot afford on each open.
     */
    private final ConcurrentHashMap<UUID, Volume> byId = new ConcurrentHashMap<>();
    /** Makes the volume of a file's first data; first in {@link LockOrder}. */
    private final ReentrantLock creation = new ReentrantLock();
    /**
     * Deletes removed files' volumes off the request path: the namespace commit is the durable
     * point of a remove, and the sweep at open deletes a volume no inode names.
     */
    private final ThreadPoolExecutor deleter = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), Thread.ofPlatform().name("nfs-volume-deleter").daemon().factory());
    /** Orders the deletion of a removed file's volume against that of its last snapshot; last in {@link LockOrder}. */
    private final ReentrantLock deletion = new ReentrantLock();

    FileVolumes(Pool pool, NamespaceStore namespace) {
        this.pool = pool;
        this.namespace = namespace;
        this.deleter.allowCoreThreadTimeOut(true); // no idle thread left behind by a datastore never closed
    }

    /** A regular file's volume (without opening the file for I/O); the file must have one. */
    Volume volume(Inode file) {
        if (file.volume() == null) {
            throw new FsException.IoError("file " + file.ino() + " has no volume (it was never written)");
        }
        Volume v = byId.get(file.volume());
        if (v == null) {
            throw new FsException.Stale("the volume of file " + file.ino() + " is gone");
        }
        return v;
    }

    /**
     * The inode of regular file {@code ino}, given a volume if it has none yet. CREATE makes no
     * volume (most files of a metadata workload are never written, and an empty file needs
     * none); the first WRITE or size-changing SETATTR makes it here.
     */
    Inode withVolume(long ino) {
        Inode i = namespace.getattr(ino);
        if (i.volume() != null) {
            return i;
        }
        assert LockOrder.mayTakeAboveNamespace(namespace);
        creation.lock();
        try {
            i = namespace.getattr(ino);
            if (i.volume() != null) {
                return i;
            }
            Volume v = pool.createVolume(NamespaceKeys.volumeName(ino), Datastore.SECTOR, NamespaceKeys.FILE_VOLUME_OWNER);
            byId.put(v.uuid(), v);
            boolean named = false;
            namespace.lock();
            try {
                NamespaceStore.Txn t = namespace.new Txn();
                Inode cur = namespace.getattr(ino); // Stale if removed meanwhile
                t.put(cur.withVolume(v.uuid()));
                t.commit();
                named = true;
                return namespace.getattr(ino);
            } finally {
                try {
                    namespace.endChange();
                } finally {
                    if (!named) {
                        byId.remove(v.uuid());
                        deleteQuietly(v);
                    }
                }
            }
        } catch (EngineException e) {
            throw EngineErrors.translate(e);
        } finally {
            creation.unlock();
        }
    }

    /**
     * Makes a new file's volume known before {@code commit} names it in the namespace (a clone);
     * if the commit fails, the volume is deleted at once.
     */
    Inode adopt(Volume v, java.util.function.Supplier<Inode> commit) {
        byId.put(v.uuid(), v);
        try {
            return commit.get();
        } catch (RuntimeException e) {
            byId.remove(v.uuid());
            deleteQuietly(v);
            throw e;
        }
    }

    /**
     * Hands a removed file's volume to the background deleter. Call it only once the removal is
     * durable: a deletion that reached the disk before the namespace change would leave, after a
     * crash, a file whose data is gone.
     */
    void deleteAfterRemoval(long ino, UUID volume) {
        try {
            deleter.execute(() -> delete(ino, volume));
        } catch (RejectedExecutionException closing) {
            log.info("volume of removed file {} is left for the sweep at the next start (datastore closing)", ino);
        }
    }

    /**
     * Deletes a removed file's volume, unless an export snapshot or a clone still reads through
     * one of its snapshots: then only its live data is dropped, and the volume goes with the last
     * of them ({@link #dropSnapshot}, or the sweep at open). On the deleter.
     */
    private void delete(long ino, UUID volume) {
        deletion.lock();
        try {
            Volume v = byId.get(volume);
            if (v == null) {
                return;
            }
            if (!v.snapshots().isEmpty()) {
                v.unmap(0, v.sizeBytes());
                log.debug("volume {} of removed file {} kept for its snapshots", v.name(), ino);
                return;
            }
            byId.remove(volume);
            v.delete();
        } catch (RuntimeException e) {
            log.warn("could not delete volume of removed file {} ({}); the next start removes it", ino, e.getMessage());
        } finally {
            deletion.unlock();
        }
    }

    /** Deletes a file volume's engine snapshot, and the volume too once no file and no snapshot needs it. Under the namespace lock. */
    void dropSnapshot(UUID volume, String engineName) {
        if (volume == null) {
            return; // the file had no data when the snapshot was taken: nothing was snapshotted
        }
        deletion.lock(); // the deleter may be deciding about the same volume
        try {
            Volume v = byId.get(volume);
            if (v == null) {
                return;
            }
            try {
                v.snapshot(engineName).delete();
            } catch (NoSuchSnapshotException gone) {
                // a crash came between this and the record's removal
            } catch (EngineException e) {
                log.warn("could not delete snapshot {} of volume {}: {}", engineName, v.name(), e.getMessage());
                return;
            }
            long ino = Long.parseUnsignedLong(v.name().substring(4), 16);
            Inode live = namespace.attributesOrNull(ino);
            if ((live == null || !volume.equals(live.volume())) && v.snapshots().isEmpty()) {
                byId.remove(volume);
                deleteQuietly(v);
            }
        } finally {
            deletion.unlock();
        }
    }

    /** At open: deletes volumes no inode references, gives inodes whose volume vanished a new one. */
    void recover(ExportSnapshots snapshots) {
        Set<UUID> referenced = new HashSet<>();
        List<Inode> missing = new ArrayList<>();
        Map<UUID, Volume> volumes = new HashMap<>();
        for (Volume v : pool.volumes()) {
            volumes.put(v.uuid(), v);
        }
        namespace.forEachStoredInode(i -> {
            if (i.isRegular() && i.volume() != null) { // none: never written (see create)
                if (volumes.containsKey(i.volume())) {
                    referenced.add(i.volume());
                    byId.put(i.volume(), volumes.get(i.volume()));
                } else {
                    missing.add(i);
                }
            }
        });
        adoptOlderBuildsVolumes(volumes, referenced, snapshots);
        List<Volume> fileVolumes = new ArrayList<>();
        for (Volume v : volumes.values()) {
            if (v.owner().equals(NamespaceKeys.FILE_VOLUME_OWNER)) {
                fileVolumes.add(v);
                byId.put(v.uuid(), v); // a removed file's volume stays while its snapshots do
            }
        }
        snapshots.recover(fileVolumes);
        for (Volume v : fileVolumes) {
            if (!referenced.contains(v.uuid()) && v.snapshots().isEmpty()) {
                byId.remove(v.uuid());
                try {
                    v.delete();
                    log.warn("deleted volume {}: no file refers to it (left by a create or remove that a crash interrupted)", v.name());
                } catch (EngineException e) {
                    log.error("volume {} belongs to no file but cannot be deleted: {}", v.name(), e.getMessage());
                }
            }
        }
        for (Inode i : missing) {
            Volume v = pool.createVolume(NamespaceKeys.volumeName(i.ino()), Datastore.SECTOR, NamespaceKeys.FILE_VOLUME_OWNER);
            byId.put(v.uuid(), v);
            Inode fixed = i.withVolume(v.uuid()).withSize(0).modified(NamespaceStore.now());
            NamespaceStore.Txn t = namespace.new Txn();
            t.put(fixed);
            t.commit();
            log.error("file inode {} had lost its volume {}; it now has an empty one (its data is gone)", i.ino(), i.volume());
        }
    }

    /**
     * Gives the datastore the volumes an older build made for its files before volumes had
     * owners (they read as the user's): those a live inode references, then those only an
     * export snapshot's frozen inodes do (a removed file's volume kept for its snapshots).
     */
    private void adoptOlderBuildsVolumes(Map<UUID, Volume> volumes, Set<UUID> referenced, ExportSnapshots snapshots) {
        Map<UUID, Volume> unowned = new HashMap<>();
        for (Volume v : volumes.values()) {
            if (v.owner().isUser()) {
                unowned.put(v.uuid(), v);
            }
        }
        if (unowned.isEmpty()) {
            return; // the usual case: nothing made before owners is left
        }
        Set<UUID> ours = new HashSet<>(referenced);
        ours.retainAll(unowned.keySet());
        if (ours.size() < unowned.size()) {
            snapshots.forEachFrozenFileVolume(id -> {
                if (unowned.containsKey(id)) {
                    ours.add(id);
                }
            });
        }
        for (UUID id : ours) {
            Volume v = unowned.get(id);
            v.setOwner(NamespaceKeys.FILE_VOLUME_OWNER);
            log.info("adopted volume {}: a file's volume made before volumes had owners", v.name());
        }
    }

    /** Waits until the volumes of files removed so far are deleted (or kept for their snapshots); for tests. */
    void awaitDeletions() {
        try {
            deleter.submit(() -> { }).get(); // one thread, in order: everything queued before is done
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The lock the deleter holds while it deletes; a test holds it to stop the deleter. */
    Lock deletionLock() { return deletion; }

    /** Finishes the deletions queued so far; later removals leave their volumes to the next sweep. */
    void close() {
        deleter.shutdown();
        try {
            if (!deleter.awaitTermination(5, TimeUnit.MINUTES)) {
                log.warn("volume deletions still running at close; the next start finishes them");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void deleteQuietly(Volume v) {
        try {
            v.delete();
        } catch (RuntimeException e) {
            log.warn("could not delete volume {} of a failed create ({}); the next start removes it", v.name(), e.getMessage());
        }
    }
}
