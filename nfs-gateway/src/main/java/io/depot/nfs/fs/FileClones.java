package io.depot.nfs.fs;

import static io.depot.nfs.fs.NamespaceStore.now;

import io.depot.engine.EngineException;
import io.depot.engine.Volume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Files made by cloning a volume instead of copying bytes: a copy of a datastore file
 * ({@link #cloneFile}) or of any engine snapshot ({@link #importSnapshot}). Crash-safe like
 * create: the clone's volume exists before its inode names it.
 */
final class FileClones {
    private static final Logger log = LoggerFactory.getLogger(FileClones.class);

    private final NamespaceStore namespace;
    private final LiveFileSystem live;
    private final FileVolumes volumes;

    FileClones(NamespaceStore namespace, LiveFileSystem live, FileVolumes volumes) {
        this.namespace = namespace;
        this.live = live;
        this.volumes = volumes;
    }

    /**
     * An instant copy of the regular file {@code srcPath} as the new file {@code dstPath} (its
     * directory must exist), through an engine snapshot of the source's volume named
     * {@code nfsclone-<new inode>} and a clone of it. The base snapshot stays while the clone
     * reads through it; the sweep at open deletes bases nothing reads through.
     * Crash-safe like create: the clone's volume exists before its inode.
     */
    Inode cloneFile(String srcPath, String dstPath, Datastore.CloneMode mode) {
        int slash = dstPath.lastIndexOf('/');
        String name = dstPath.substring(slash + 1);
        Names.checkNew(name);
        Inode dirInode = live.resolve(slash <= 0 ? "/" : dstPath.substring(0, slash));
        Inode src = live.resolve(srcPath);
        if (!src.isRegular()) {
            throw new FsException.Invalid(srcPath + " is not a regular file");
        }
        namespace.lock();
        try {
            long dir = live.directory(dirInode.ino()).ino();
            if (namespace.entry(dir, name) != null) {
                throw new FsException.Exists(dstPath);
            }
            src = namespace.getattr(src.ino());
            NamespaceStore.Txn t = namespace.new Txn();
            long ino = t.allocateIno();
            if (src.volume() == null) { // never written: the clone is another empty file
                long now = now();
                Inode f = new Inode(ino, NamespaceStore.newGeneration(), FileType.REGULAR, src.mode(), src.uid(), src.gid(), 1, 0,
                        now, now, now, null, 0, 0, 0, 0, null);
                t.put(f);
                t.addEntry(dir, name, ino);
                t.put(t.get(dir).modified(now));
                t.commit();
                log.info("cloned {} to {} (empty, no volume)", srcPath, dstPath);
                return f;
            }
            Volume from = volumes.volume(src);
            io.depot.engine.Snapshot base = from.createSnapshot(ExportSnapshots.CLONE_BASE_PREFIX + NamespaceKeys.hex(ino));
            Volume copy;
            try {
                copy = fileVolumeOf(base, ino, mode);
            } catch (RuntimeException e) {
                base.delete();
                throw e;
            }
            Inode f = commitClonedFile(t, ino, dir, name, copy, src.mode(), src.uid(), src.gid(), src.size());
            log.info("cloned {} to {} ({}, volume {})", srcPath, dstPath, mode, copy.name());
            return f;
        } catch (EngineException e) {
            throw EngineErrors.translate(e);
        } finally {
            namespace.endChange();
        }
    }

    /**
     * The namespace half of a file made from a clone: the new inode ({@code ino}, allocated in {@code t}) names
     * {@code copy}, its entry goes into {@code dir}. The volume exists first, so a crash leaves at
     * worst an orphan volume that the sweep at open removes; a failed commit deletes it at once.
     */
    private Inode commitClonedFile(NamespaceStore.Txn t, long ino, long dir, String name, Volume copy, int mode, int uid, int gid, long size) {
        return volumes.adopt(copy, () -> {
            long now = now();
            Inode f = new Inode(ino, NamespaceStore.newGeneration(), FileType.REGULAR, mode, uid, gid, 1, size, now, now, now,
                    copy.uuid(), 0, 0, 0, 0, null);
            t.put(f);
            t.addEntry(dir, name, ino);
            t.put(t.get(dir).modified(now));
            t.commit();
            return f;
        });
    }

    /**
     * A new regular file {@code path} whose bytes are a clone of {@code snapshot}, an engine snapshot
     * of any volume (a block volume's, not only a file's): how a volume, a snapshot or a clone gets
     * into the datastore without copying. Missing directories of {@code path} are made. The clone is
     * the file's volume ({@link NamespaceKeys#volumeName}); the snapshot stays its origin (the engine refuses to
     * delete it) until a {@link Datastore.CloneMode#FULL} clone's background copy ends. Crash-safe like
     * create: the volume exists before its inode, and the sweep at open removes an orphan.
     */
    Inode importSnapshot(io.depot.engine.Snapshot snapshot, String path, Datastore.CloneMode mode) {
        int slash = path.lastIndexOf('/');
        String name = path.substring(slash + 1);
        Names.checkNew(name);
        Inode dirInode = live.makeDirectories(slash <= 0 ? "/" : path.substring(0, slash));
        namespace.lock();
        try {
            long dir = live.directory(dirInode.ino()).ino();
            if (namespace.entry(dir, name) != null) {
                throw new FsException.Exists(path);
            }
            NamespaceStore.Txn t = namespace.new Txn();
            long ino = t.allocateIno();
            Volume copy = fileVolumeOf(snapshot, ino, mode);
            Inode f = commitClonedFile(t, ino, dir, name, copy, 0644, 0, 0, snapshot.sizeBytes());
            log.info("imported snapshot {}@{} as {} ({}, volume {})", snapshot.volume().name(), snapshot.name(), path, mode, copy.name());
            return f;
        } catch (EngineException e) {
            throw EngineErrors.translate(e);
        } finally {
            namespace.endChange(); // the reply waits until the new file is durable
        }
    }

    /** The volume of new file {@code ino}: a clone of {@code base}, the datastore's. */
    private static Volume fileVolumeOf(io.depot.engine.Snapshot base, long ino, Datastore.CloneMode mode) {
        String name = NamespaceKeys.volumeName(ino);
        return mode == Datastore.CloneMode.LINKED ? base.linkedClone(name, NamespaceKeys.FILE_VOLUME_OWNER)
                : base.fullClone(name, NamespaceKeys.FILE_VOLUME_OWNER);
    }
}
