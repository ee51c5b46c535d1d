package io.depot.nfs.fs;

import io.depot.engine.EngineException;
import io.depot.engine.Volume;
import java.util.UUID;
import java.util.concurrent.locks.Lock;

/**
 * The open regular files, by inode. A file in use (I/O under way) is never evicted, so its lock
 * stays the only one for that file. A file is reconciled with its stored size on its first use
 * in a process, unless the last process closed the datastore cleanly.
 */
final class OpenFiles {
    private final BoundedCache<Long, OpenFile> files;
    /** Whether the last process closed the datastore: then no file has bytes past its size to zero. */
    private final boolean cleanStart;

    OpenFiles(int capacity, boolean cleanStart) {
        this.files = new BoundedCache<>(capacity, fd -> fd.users > 0);
        this.cleanStart = cleanStart;
    }

    /** The open file for I/O on {@code volume}, reconciled with the stored size; give it back with {@link #release}. */
    OpenFile open(Inode file, Volume volume, NamespaceStore namespace) {
        OpenFile fd = acquire(file.ino(), volume);
        try {
            reconcile(file, fd, namespace);
        } catch (RuntimeException e) {
            release(fd);
            throw e;
        }
        return fd;
    }

    private void reconcile(Inode file, OpenFile fd, NamespaceStore namespace) {
        if (!fd.reconciled) {
            Lock l = fd.lock.writeLock();
            l.lock();
            try {
                if (!fd.reconciled) {
                    fd.zeroBeyond(namespace.getattr(file.ino()).size());
                    fd.reconciled = true;
                }
            } catch (EngineException e) {
                throw EngineErrors.translate(e);
            } finally {
                l.unlock();
            }
        }
    }

    /** The open file, pinned until {@link #release}. */
    private OpenFile acquire(long ino, Volume volume) {
        synchronized (files) {
            OpenFile fd = files.computeIfAbsent(ino, k -> new OpenFile(volume, cleanStart));
            fd.users++;
            return fd;
        }
    }

    /**
     * The open file of {@code ino}, pinned until {@link #release}, if it is open, reconciled and
     * on {@code volume}; else null (the ordinary path opens it first). Never blocks for long.
     */
    OpenFile tryUse(long ino, UUID volume) {
        synchronized (files) {
            OpenFile fd = files.get(ino);
            if (fd == null || !fd.reconciled || !fd.volume.uuid().equals(volume)) {
                return null;
            }
            fd.users++;
            return fd;
        }
    }

    void release(OpenFile fd) {
        synchronized (files) {
            fd.users--;
        }
    }

    /** Forgets a removed file. */
    void forget(long ino) { files.remove(ino); }

    int size() { return files.size(); }
}
