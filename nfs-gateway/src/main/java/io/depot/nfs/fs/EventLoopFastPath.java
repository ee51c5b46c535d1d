package io.depot.nfs.fs;

import static io.depot.nfs.fs.Datastore.SECTOR;

import io.depot.engine.EngineException;
import io.depot.nfs.fs.NamespaceCache.Entry;
import io.depot.nfs.fs.NamespaceCache.EntryKey;
import io.depot.nfs.fs.VirtualFileSystem.CreateMode;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.Lock;

/**
 * The datastore's {@link MemoryFastPath}: the ordinary operations' checks and changes, made with
 * memory-only reads ({@link NamespaceStore#memoryReads}), locks tried instead of waited for, and
 * replies held until the change is durable instead of waiting for it.
 */
final class EventLoopFastPath implements MemoryFastPath {
    private final NamespaceStore namespace;
    private final NamespaceCache cache;
    private final LiveFileSystem live;
    private final OpenFiles files;
    private final FileOperations data;

    EventLoopFastPath(NamespaceStore namespace, LiveFileSystem live, OpenFiles files, FileOperations data) {
        this.namespace = namespace;
        this.cache = namespace.cache();
        this.live = live;
        this.files = files;
        this.data = data;
    }

    @Override
    public Inode cachedAttributes(long ino) {
        return cache.inode(ino);
    }

    @Override
    public Inode cachedLookup(Caller caller, Inode dir, String name) {
        if (!dir.isDirectory() || name.equals(".") || name.equals("..")
                || !Permissions.allows(dir, caller, Permissions.EXECUTE)) {
            return null;
        }
        Entry e = cache.entry(new EntryKey(dir.ino(), name));
        return e == null ? null : cache.inode(e.ino());
    }

    @Override
    public ReadResult readFromMemory(Caller caller, long ino, long offset, int count, ByteBuffer dst) {
        return fromMemory(caller, ino, offset, count, Permissions.READ,
                (cur, eof) -> new ReadResult(dst.duplicate().position(0).limit(0), eof, cur),
                (fd, cur, n) -> fd.volume.tryRead(offset & ~(long) (SECTOR - 1), FileOperations.sectorsOf(dst, offset, n))
                        ? FileOperations.readResult(dst, offset, n, cur) : null);
    }

    @Override
    public PlannedRead planFromMemory(Caller caller, long ino, long offset, int count) {
        return fromMemory(caller, ino, offset, count, Permissions.READ, (cur, eof) -> null,
                (fd, cur, n) -> PlannedRead.ifCached(fd.volume.tryPlan(offset, n), offset, n, cur));
    }

    @Override
    public WriteResult tryWrite(Caller caller, long ino, long offset, ByteBuffer data) {
        int len = data.remaining();
        if (((offset | len) & (SECTOR - 1)) != 0) {
            return null; // a read-modify-write of edge sectors: the ordinary path, under the exclusive lock
        }
        // aligned writes share the file's lock, as in the ordinary path; an empty write or one
        // reaching past the size (an extension) is left to it
        return fromMemory(caller, ino, offset, len, Permissions.WRITE, (cur, eof) -> null, (fd, cur, n) -> {
            if (n != len || !fd.volume.tryWrite(offset, data) || !namespace.lockWithoutBlocking()) {
                return null;
            }
            try {
                Inode before = cache.inode(ino);
                if (before == null) {
                    return null;
                }
                Inode after = before.modified(NamespaceStore.now()); // within the size: only the times change
                namespace.cache().putDirty(after);
                return new WriteResult(new Change(before, after), len, Stability.UNSTABLE);
            } finally {
                namespace.unlock(); // nothing stored: an unstable write waits for no sync
            }
        });
    }

    /** What an empty read answers: the file's attributes and whether the offset is at or past its end. */
    @FunctionalInterface
    private interface Empty<T> {
        T answer(Inode cur, boolean eof);
    }

    /** Reads or writes {@code n > 0} bytes (at most what is left of the file) of an open file under its shared lock without waiting, or null. */
    @FunctionalInterface
    private interface Bytes<T> {
        T read(OpenFile fd, Inode cur, int n);
    }

    /**
     * A READ's or WRITE's checks and the file's shared lock, tried: null when anything would wait or
     * fail (the ordinary path reports it). {@code want}: the permission the caller needs on the data.
     */
    private <T> T fromMemory(Caller caller, long ino, long offset, int count, int want, Empty<T> empty, Bytes<T> bytes) {
        Inode i = cache.inode(ino);
        if (i == null || !i.isRegular() || !Permissions.allowsData(i, caller, want) || offset < 0 || count < 0) {
            return null;
        }
        if (i.volume() == null) { // never written: empty
            return empty.answer(i, true);
        }
        OpenFile fd = files.tryUse(ino, i.volume());
        if (fd == null) {
            return null; // opened (and reconciled) by the ordinary path first
        }
        Lock l = fd.lock.readLock();
        if (!l.tryLock()) {
            files.release(fd);
            return null;
        }
        try {
            Inode cur = cache.inode(ino);
            if (cur == null) {
                return null;
            }
            long size = cur.size();
            if (offset >= size || count == 0) {
                return empty.answer(cur, offset >= size);
            }
            return bytes.read(fd, cur, (int) Math.min(count, size - offset));
        } catch (RuntimeException e) { // the ordinary path reports it
            return null;
        } finally {
            l.unlock();
            files.release(fd);
        }
    }

    @Override
    public Pending<Change> trySetattr(Caller caller, long ino, SetAttributes attributes, Long guardCtime) {
        return data.trySetattr(caller, ino, attributes, guardCtime);
    }

    @Override
    public Pending<Created> tryCreate(Caller caller, long dir, String name, SetAttributes a, CreateMode how, long verifier) {
        if (a.size() != null || !namespace.lockWithoutBlocking()) {
            return null;
        }
        try {
            Names.checkNew(name);
            Created c = live.createLocked(caller, dir, name, a, how, verifier, namespace.memoryReads).created();
            return new Pending<>(c, namespace.log().lastTicket()); // also covers an entry found but not yet durable
        } catch (NamespaceStore.WouldBlock | FsException | EngineException e) {
            return null;
        } finally {
            namespace.unlock();
        }
    }

    @Override
    public Pending<Change> tryRemove(Caller caller, long dir, String name) {
        if (!namespace.lockWithoutBlocking()) {
            return null;
        }
        try {
            Names.checkRemovable(name);
            LiveFileSystem.Removed r = live.removeLocked(caller, dir, name, namespace.memoryReads);
            return new Pending<>(r.change(), namespace.log().lastTicket());
        } catch (NamespaceStore.WouldBlock | FsException | EngineException e) {
            return null;
        } finally {
            namespace.unlock();
        }
    }

    @Override
    public void whenDurable(long ticket, Durable done) {
        namespace.log().whenDurable(ticket, done::done);
    }

    @Override
    public void commitSoon(long ticket) {
        namespace.log().commitSoon(ticket);
    }
}
