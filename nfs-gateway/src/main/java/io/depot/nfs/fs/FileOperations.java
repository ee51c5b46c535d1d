package io.depot.nfs.fs;

import static io.depot.nfs.fs.Datastore.MAX_FILE_SIZE;
import static io.depot.nfs.fs.Datastore.SECTOR;
import static io.depot.nfs.fs.NamespaceStore.now;

import io.depot.engine.DataCorruptionException;
import io.depot.engine.EngineException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.Lock;

/**
 * A file's data and attributes: SETATTR (sizes included), READ, WRITE, COMMIT, READLINK.
 *
 * <p>Unaligned reads and writes are done on whole sectors, writes by read-modify-write of the
 * edge sectors under the file's exclusive lock (aligned writes share the lock). A write that
 * extends the file updates the size and mtime in memory; they reach the store at the next
 * COMMIT, stable write, attribute change, namespace change of the file, or close. A stable write
 * or a COMMIT stages the inode in the catalog and waits for one commit of the pool, which makes
 * the data, its mappings and the inode durable together. After a crash
 * an uncommitted extension is therefore forgotten (the client resends it: the write verifier
 * changed), and the first open of a file in a process zeroes what lies past its size.
 *
 * <p>READ and WRITE permissions are checked by {@link AccessCheckedFs} before these are called.
 */
final class FileOperations {
    private final NamespaceStore namespace;
    private final FileVolumes volumes;
    private final OpenFiles files;

    FileOperations(NamespaceStore namespace, FileVolumes volumes, OpenFiles files) {
        this.namespace = namespace;
        this.volumes = volumes;
        this.files = files;
    }

    /** The open file for I/O, reconciled with the stored size on first use; give it back with {@link OpenFiles#release}. */
    private OpenFile open(Inode file) {
        assert LockOrder.mayTakeAboveNamespace(namespace);
        return files.open(file, volumes.volume(file), namespace);
    }

    Change setattr(Caller caller, long ino, SetAttributes a, Long guardCtime) {
        while (true) {
            Inode first = namespace.getattr(ino);
            if (a.size() == null) {
                return setattrLocked(caller, ino, a, guardCtime, null);
            }
            if (first.isDirectory()) {
                throw new FsException.IsDirectory("cannot set the size of a directory");
            }
            if (!first.isRegular()) {
                throw new FsException.Invalid("only a regular file has a settable size");
            }
            if (a.size() < 0 || a.size() > MAX_FILE_SIZE) {
                throw new FsException.FileTooBig("size " + a.size());
            }
            if (first.volume() == null && a.size() == 0) { // size 0 stays 0: no volume needed
                Change c = setattrLocked(caller, ino, a, guardCtime, null);
                if (c != null) {
                    return c;
                }
                continue; // a write gave the file a volume meanwhile
            }
            if (first.volume() == null) {
                if (!Permissions.allowsData(first, caller, Permissions.WRITE)) {
                    throw new FsException.AccessDenied("truncate: permission denied"); // before making a volume for nothing
                }
                first = volumes.withVolume(ino);
            }
            OpenFile fd = open(first);
            Lock l = fd.lock.writeLock(); // lock order: file data, then namespace
            l.lock();
            try {
                return setattrLocked(caller, ino, a, guardCtime, fd);
            } finally {
                l.unlock();
                files.release(fd);
            }
        }
    }

    /** Null if the size must change but the file has a volume that {@code fd} (null) does not hold open. */
    private Change setattrLocked(Caller caller, long ino, SetAttributes a, Long guardCtime, OpenFile fd) {
        namespace.lock();
        try {
            Inode before = namespace.getattr(ino);
            if (fd == null && a.size() != null && a.size() != before.size()) {
                return null;
            }
            Inode after = withAttributes(caller, before, a, guardCtime, fd);
            NamespaceStore.Txn t = namespace.new Txn();
            t.put(after);
            t.commit();
            return new Change(before, after);
        } catch (EngineException e) {
            throw EngineErrors.translate(e);
        } finally {
            if (a.size() == null) {
                namespace.endChangeSoon(); // attributes only: answered before its commit (see endChangeSoon)
            } else {
                namespace.endChange();
            }
        }
    }

    /**
     * SETATTR of anything but the size, from memory without waiting, for the event loop: the change
     * made as {@link #setattr} makes it, to be reported once its ticket is durable; null having
     * changed nothing when the namespace lock is busy beyond a short wait, the inode is not cached,
     * the store would stall, or SETATTR would fail (the worker then answers).
     */
    MemoryFastPath.Pending<Change> trySetattr(Caller caller, long ino, SetAttributes a, Long guardCtime) {
        if (a.size() != null || !namespace.lockWithoutBlocking()) {
            return null;
        }
        try {
            Inode before = namespace.cache().inode(ino);
            if (before == null) {
                return null;
            }
            Inode after = withAttributes(caller, before, a, guardCtime, null);
            NamespaceStore.Txn t = namespace.new Txn();
            t.put(after);
            t.commit(namespace.memoryReads);
            return new MemoryFastPath.Pending<>(new Change(before, after), namespace.log().lastTicket());
        } catch (NamespaceStore.WouldBlock | FsException | EngineException e) {
            return null;
        } finally {
            namespace.unlock();
        }
    }

    /** SETATTR's checks and the attributes it gives {@code before}; a size change goes to {@code fd}. Under the namespace lock. */
    private Inode withAttributes(Caller caller, Inode before, SetAttributes a, Long guardCtime, OpenFile fd) {
        if (guardCtime != null && guardCtime != before.ctime()) {
            throw new FsException.NotSync("ctime changed");
        }
        boolean owner = Permissions.isOwnerOrRoot(before, caller);
        if (a.mode() != null && !owner) {
            throw new FsException.NotPermitted("only the owner or root may change the mode");
        }
        if (a.uid() != null && a.uid() != before.uid() && !caller.isRoot()) {
            throw new FsException.NotPermitted("only root may change the owner");
        }
        if (a.gid() != null && a.gid() != before.gid() && !caller.isRoot()
                && !(caller.uid() == before.uid() && caller.inGroup(a.gid()))) {
            throw new FsException.NotPermitted("the owner may only give the file to a group of theirs");
        }
        boolean clientTime = (a.atime() != null && a.atime() != SetAttributes.SERVER_TIME)
                || (a.mtime() != null && a.mtime() != SetAttributes.SERVER_TIME);
        if (clientTime && !owner) {
            throw new FsException.NotPermitted("only the owner or root may set times");
        }
        if ((a.atime() != null || a.mtime() != null) && !owner && !Permissions.allows(before, caller, Permissions.WRITE)) {
            throw new FsException.AccessDenied("setting times needs write permission");
        }
        if (a.size() != null && !Permissions.allowsData(before, caller, Permissions.WRITE)) {
            throw new FsException.AccessDenied("truncate: permission denied");
        }
        long now = now();
        Inode after = before;
        if (a.mode() != null) {
            after = after.withMode(a.mode());
        }
        if (a.uid() != null || a.gid() != null) {
            after = after.withOwner(a.uid() != null ? a.uid() : after.uid(), a.gid() != null ? a.gid() : after.gid());
        }
        if (a.size() != null) {
            if (a.size() != before.size()) {
                fd.resize(before.size(), a.size());
                after = after.withSize(a.size()).modified(now);
            } else {
                after = after.modified(now); // POSIX truncate to the same size still updates the times
            }
        }
        long at = a.atime() == null ? after.atime() : a.atime() == SetAttributes.SERVER_TIME ? now : a.atime();
        long mt = a.mtime() == null ? after.mtime() : a.mtime() == SetAttributes.SERVER_TIME ? now : a.mtime();
        return after.withTimes(at, mt, now);
    }

    byte[] readlink(Caller caller, long ino) {
        Inode i = namespace.getattr(ino);
        if (i.type() != FileType.SYMLINK) {
            throw new FsException.Invalid("not a symbolic link");
        }
        return i.target().clone();
    }

    Inode regularFile(long ino) {
        Inode i = namespace.getattr(ino);
        if (i.isDirectory()) {
            throw new FsException.IsDirectory("inode " + ino + " is a directory");
        }
        if (!i.isRegular()) {
            throw new FsException.Invalid("inode " + ino + " is not a regular file");
        }
        return i;
    }

    ReadResult read(Caller caller, long ino, long offset, int count, ByteBuffer dst) {
        Inode i = regularFile(ino);
        if (offset < 0 || count < 0) {
            throw new FsException.Invalid("offset " + offset + ", count " + count);
        }
        if (i.volume() == null) { // never written: empty
            return new ReadResult(dst.duplicate().position(0).limit(0), true, i);
        }
        OpenFile fd = open(i);
        Lock l = fd.lock.readLock();
        l.lock();
        try {
            Inode cur = namespace.getattr(ino);
            long size = cur.size();
            if (offset >= size || count == 0) {
                return new ReadResult(dst.duplicate().position(0).limit(0), offset >= size, cur);
            }
            int n = (int) Math.min(count, size - offset);
            long start = offset & ~(long) (SECTOR - 1);
            fd.volume.read(start, sectorsOf(dst, offset, n));
            return readResult(dst, offset, n, cur);
        } catch (DataCorruptionException e) {
            throw DamagedReads.report("volume " + fd.volume.name(), ino, e);
        } catch (EngineException e) {
            throw EngineErrors.translate(e);
        } finally {
            l.unlock();
            files.release(fd);
        }
    }

    /** {@link #read} as a plan (see {@link VirtualFileSystem#plan}): same checks, same lock; the plan's pin outlives the lock. */
    PlannedRead plan(Caller caller, long ino, long offset, int count) {
        Inode i = regularFile(ino);
        if (offset < 0 || count <= 0 || i.volume() == null) {
            return null; // the copying read answers errors and empty reads
        }
        OpenFile fd = open(i);
        Lock l = fd.lock.readLock();
        l.lock();
        try {
            Inode cur = namespace.getattr(ino);
            if (offset >= cur.size()) {
                return null;
            }
            int n = (int) Math.min(count, cur.size() - offset);
            return PlannedRead.ifCached(fd.volume.plan(offset, n), offset, n, cur);
        } catch (DataCorruptionException e) {
            throw DamagedReads.report("volume " + fd.volume.name(), ino, e);
        } catch (EngineException e) {
            throw EngineErrors.translate(e);
        } finally {
            l.unlock();
            files.release(fd);
        }
    }

    /** Where {@link #read} puts the whole sectors holding {@code n} bytes at {@code offset}: from {@code dst}'s start. */
    static ByteBuffer sectorsOf(ByteBuffer dst, long offset, int n) {
        long start = offset & ~(long) (SECTOR - 1);
        return dst.duplicate().position(0).limit((int) (OpenFile.roundUp(offset + n) - start));
    }

    /** The result of reading {@code n} bytes at {@code offset} into {@link #sectorsOf}: the view of just those bytes. */
    static ReadResult readResult(ByteBuffer dst, long offset, int n, Inode cur) {
        int skip = (int) (offset & (SECTOR - 1));
        return new ReadResult(dst.duplicate().limit(skip + n).position(skip), offset + n >= cur.size(), cur);
    }

    WriteResult write(Caller caller, long ino, long offset, ByteBuffer src, Stability stability) {
        Inode i = regularFile(ino);
        int len = src.remaining();
        if (offset < 0 || offset + len > MAX_FILE_SIZE || offset + len < 0) {
            throw new FsException.FileTooBig("write of " + len + " bytes at " + offset);
        }
        if (i.volume() == null) {
            i = volumes.withVolume(ino);
        }
        OpenFile fd = open(i);
        boolean aligned = offset % SECTOR == 0 && len % SECTOR == 0;
        boolean fua = stability != Stability.UNSTABLE;
        long end = offset + len;
        // aligned writes may run side by side; a read-modify-write of edge sectors must run alone
        Lock l = aligned ? fd.lock.readLock() : fd.lock.writeLock();
        l.lock();
        Inode before;
        Inode after;
        try {
            before = namespace.getattr(ino);
            if (len > 0) {
                fd.ensureCapacity(end);
                // never FUA: a stable write's data, mappings and new size are made durable together,
                // by the one commit its namespace change waits for below
                if (aligned) {
                    fd.volume.write(offset, src);
                } else {
                    long start = offset & ~(long) (SECTOR - 1);
                    long stop = OpenFile.roundUp(end);
                    ByteBuffer b = ByteBuffer.allocate((int) (stop - start));
                    if (start != offset) {
                        fd.volume.read(start, b.slice(0, SECTOR));
                    }
                    if (stop != end) {
                        fd.volume.read(stop - SECTOR, b.slice(b.capacity() - SECTOR, SECTOR));
                    }
                    b.put((int) (offset - start), src, src.position(), len);
                    fd.volume.write(start, b);
                }
            }
            namespace.lock();
            try {
                Inode cur = namespace.getattr(ino);
                after = cur.withSize(Math.max(cur.size(), end)).modified(now());
                namespace.cache().putDirty(after);
                if (fua) {
                    namespace.persist(ino); // staged after the data write: its ticket covers the data too
                }
            } finally {
                if (fua) {
                    namespace.endChange(); // one commit: data, mappings and inode
                } else {
                    namespace.unlock(); // nothing stored: an unstable write waits for no sync
                }
            }
        } catch (EngineException e) {
            throw EngineErrors.translate(e);
        } finally {
            l.unlock();
            files.release(fd);
        }
        return new WriteResult(new Change(before, after), len, fua ? Stability.FILE_SYNC : Stability.UNSTABLE);
    }

    Change commit(long ino) {
        Inode before = namespace.getattr(ino);
        if (!before.isRegular()) {
            return new Change(before, before);
        }
        try {
            namespace.persistDurably(ino); // one commit for the data written so far and the inode
        } catch (EngineException e) {
            throw EngineErrors.translate(e);
        }
        return new Change(before, namespace.getattr(ino));
    }
}
