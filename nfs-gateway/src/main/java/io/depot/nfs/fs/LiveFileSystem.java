package io.depot.nfs.fs;

import static io.depot.nfs.fs.Datastore.DIR_SIZE;
import static io.depot.nfs.fs.Datastore.FIRST_COOKIE;
import static io.depot.nfs.fs.Datastore.MAX_LINKS;
import static io.depot.nfs.fs.Datastore.ROOT;
import static io.depot.nfs.fs.NamespaceStore.now;

import io.depot.engine.EngineException;
import io.depot.engine.Pool;
import io.depot.engine.PoolUsage;
import io.depot.nfs.fs.NamespaceCache.Entry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The live directory tree as a {@link VirtualFileSystem}: lookups, listings and every namespace
 * change (create, mkdir, symlink, mknod, remove, rmdir, rename, link), each one atomic change of
 * the {@link NamespaceStore} under its lock, replied to only once durable. A file's data and
 * attributes are {@link FileOperations}' job.
 *
 * <p>Reached only through {@link AccessCheckedFs}, which checks the search, read and write
 * permissions that guard lookups, listings and data; the rules that must hold at the instant of a
 * change (write permission on the directory, sticky directories, who may set which attribute) are
 * checked here, under the namespace lock, with the change.
 */
final class LiveFileSystem implements InodeTree {
    private final Pool pool;
    private final NamespaceStore namespace;
    private final FileOperations data;
    private final FileVolumes volumes;
    private final OpenFiles files;

    LiveFileSystem(Pool pool, NamespaceStore namespace, FileOperations data, FileVolumes volumes, OpenFiles files) {
        this.pool = pool;
        this.namespace = namespace;
        this.data = data;
        this.volumes = volumes;
        this.files = files;
    }

    @Override
    public Inode getattr(long ino) { return namespace.getattr(ino); }

    @Override
    public Inode resolve(String path) {
        Inode cur = getattr(ROOT);
        for (String part : path.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            cur = lookup(Caller.ROOT, cur.ino(), part);
        }
        return cur;
    }

    /** The directory at {@code path}, made (as root, mode 0755) with any missing parents. */
    public Inode makeDirectories(String path) {
        Inode cur = getattr(ROOT);
        for (String part : path.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            try {
                cur = lookup(Caller.ROOT, cur.ino(), part);
            } catch (FsException.NoEntry e) {
                cur = mkdir(Caller.ROOT, cur.ino(), part, SetAttributes.NONE).object();
            }
            if (!cur.isDirectory()) {
                throw new FsException.NotDirectory(path + ": '" + part + "' is not a directory");
            }
        }
        return cur;
    }

    @Override
    public Inode lookup(Caller caller, long dir, String name) {
        Inode d = directory(dir);
        Inode dot = selfOrParent(d, name);
        if (dot != null) {
            return dot;
        }
        Names.check(name);
        Entry e = namespace.entry(dir, name);
        if (e == null) {
            throw new FsException.NoEntry(name);
        }
        try {
            return getattr(e.ino());
        } catch (FsException.Stale gone) { // removed between the two reads
            throw new FsException.NoEntry(name);
        }
    }

    @Override
    public Change setattr(Caller caller, long ino, SetAttributes a, Long guardCtime) { return data.setattr(caller, ino, a, guardCtime); }

    @Override
    public byte[] readlink(Caller caller, long ino) { return data.readlink(caller, ino); }

    @Override
    public ReadResult read(Caller caller, long ino, long offset, int count, ByteBuffer dst) { return data.read(caller, ino, offset, count, dst); }

    @Override
    public PlannedRead plan(Caller caller, long ino, long offset, int count) { return data.plan(caller, ino, offset, count); }

    @Override
    public WriteResult write(Caller caller, long ino, long offset, ByteBuffer src, Stability stability) {
        return data.write(caller, ino, offset, src, stability);
    }

    @Override
    public Change commit(long ino) { return data.commit(ino); }

    /**
     * Hands a removed file's volume to the background deleter. Call it only once the removal is
     * durable (after {@link NamespaceStore#endChange}); see {@link FileVolumes#deleteAfterRemoval}.
     */
    private void dropVolumeLater(long ino, UUID volume) {
        files.forget(ino);
        volumes.deleteAfterRemoval(ino, volume);
    }

    // ------------------------------------------------------------------ namespace changes

    private Inode writableDirectory(Caller caller, long dir) {
        Inode d = directory(dir);
        Permissions.require(d, caller, Permissions.WRITE | Permissions.EXECUTE, "directory " + dir);
        return d;
    }

    /** A new object's owner and mode: the caller's ids (a set-gid directory passes on its group) and the asked attributes. */
    private Inode newInode(Caller caller, Inode dir, long ino, FileType type, int defaultMode, SetAttributes a, long now) {
        int mode = a.mode() != null ? a.mode() & 07777 : defaultMode;
        int uid = caller.uid();
        int gid = (dir.mode() & 02000) != 0 ? dir.gid() : caller.gid();
        if (a.uid() != null && caller.isRoot()) {
            uid = a.uid();
        }
        if (a.gid() != null && (caller.isRoot() || caller.inGroup(a.gid()))) {
            gid = a.gid();
        }
        long at = a.atime() == null || a.atime() == SetAttributes.SERVER_TIME ? now : a.atime();
        long mt = a.mtime() == null || a.mtime() == SetAttributes.SERVER_TIME ? now : a.mtime();
        return new Inode(ino, NamespaceStore.newGeneration(), type, mode, uid, gid, 1, 0, at, mt, now, null, 0, 0, 0, 0, null);
    }

    /** RFC 1813 §3.3.8: the verifier of an exclusive create is kept in atime (high half) and mtime (low half). */
    private static Inode withVerifier(Inode i, long verifier) {
        long a = (verifier >>> 32) * 1_000_000_000L;
        long m = (verifier & 0xffff_ffffL) * 1_000_000_000L;
        return i.withTimes(a, m, i.ctime());
    }

    private static boolean hasVerifier(Inode i, long verifier) {
        return i.atime() == (verifier >>> 32) * 1_000_000_000L && i.mtime() == (verifier & 0xffff_ffffL) * 1_000_000_000L;
    }

    @Override
    public Created create(Caller caller, long dir, String name, SetAttributes a, CreateMode how, long verifier) {
        Names.checkNew(name);
        namespace.lock();
        try {
            Made m = createLocked(caller, dir, name, a, how, verifier, namespace.storeReads);
            Created c = m.created();
            if (m.existed()) {
                if (how != CreateMode.UNCHECKED || a.size() == null) {
                    return c;
                }
                // UNCHECKED on an existing file: only the size applies (a truncating open)
                Inode after = resizeUnlocked(caller, c.object().ino(), a.size());
                return new Created(after, c.directory());
            }
            if (a.size() != null && a.size() > 0 && how != CreateMode.EXCLUSIVE) {
                return new Created(resizeUnlocked(Caller.ROOT, c.object().ino(), a.size()), c.directory());
            }
            return c;
        } catch (EngineException e) {
            throw EngineErrors.translate(e);
        } finally {
            namespace.endChange();
        }
    }

    /** What {@link #createLocked} did: made a file, or found one by that name ({@code existed}). */
    record Made(Created created, boolean existed) {}

    /** The namespace half of CREATE, under the namespace lock; sizes are left to the caller. */
    Made createLocked(Caller caller, long dir, String name, SetAttributes a, CreateMode how, long verifier, NamespaceStore.Reads reads) {
        Inode d = reads.inode(dir);
        if (!d.isDirectory()) {
            throw new FsException.NotDirectory("inode " + dir + " is not a directory");
        }
        Permissions.require(d, caller, Permissions.EXECUTE, "create");
        Entry e = reads.entry(dir, name);
        if (e != null) {
            Inode existing = reads.inode(e.ino());
            if (how == CreateMode.EXCLUSIVE && existing.isRegular() && hasVerifier(existing, verifier)) {
                return new Made(new Created(existing, new Change(d, d)), true); // a retransmission of our own create
            }
            if (how != CreateMode.UNCHECKED || !existing.isRegular()) {
                throw new FsException.Exists(name);
            }
            return new Made(new Created(existing, new Change(d, d)), true);
        }
        Permissions.require(d, caller, Permissions.WRITE | Permissions.EXECUTE, "create");
        NamespaceStore.Txn t = namespace.new Txn();
        long ino = t.allocateIno();
        long now = now();
        // no volume yet: the first write or size change makes it (withVolume)
        Inode f = newInode(caller, d, ino, FileType.REGULAR, 0644, a, now);
        if (how == CreateMode.EXCLUSIVE) {
            f = withVerifier(f, verifier);
        }
        t.put(f);
        t.addEntry(dir, name, ino);
        Inode dirAfter = t.get(dir).modified(now);
        t.put(dirAfter);
        t.commit(reads);
        return new Made(new Created(f, new Change(d, dirAfter)), false);
    }

    /** Sets a file's size with the namespace lock released meanwhile (setattr takes the file's lock first); under it again after. */
    private Inode resizeUnlocked(Caller caller, long ino, long size) {
        namespace.unlock();
        try {
            return setattr(caller, ino, SetAttributes.size(size), null).after();
        } finally {
            namespace.lock();
        }
    }

    private Created makeNode(Caller caller, long dir, String name, FileType type, int defaultMode, SetAttributes a,
                             java.util.function.UnaryOperator<Inode> shape) {
        Names.checkNew(name);
        namespace.lock();
        try {
            Inode d = writableDirectory(caller, dir);
            if (namespace.entry(dir, name) != null) {
                throw new FsException.Exists(name);
            }
            NamespaceStore.Txn t = namespace.new Txn();
            long ino = t.allocateIno();
            long now = now();
            Inode n = shape.apply(newInode(caller, d, ino, type, defaultMode, a, now));
            t.put(n);
            t.addEntry(dir, name, ino);
            Inode dir2 = t.get(dir).modified(now);
            if (type == FileType.DIRECTORY) {
                if (dir2.nlink() >= MAX_LINKS) {
                    throw new FsException.TooManyLinks("directory " + dir + " has too many subdirectories");
                }
                dir2 = dir2.withNlink(dir2.nlink() + 1);
            }
            t.put(dir2);
            t.commit();
            return new Created(n, new Change(d, dir2));
        } finally {
            namespace.endChange();
        }
    }

    @Override
    public Created mkdir(Caller caller, long dir, String name, SetAttributes a) {
        return makeNode(caller, dir, name, FileType.DIRECTORY, 0755, a,
                i -> i.withParent(dir).withNextCookie(FIRST_COOKIE).withNlink(2).withSize(DIR_SIZE));
    }

    @Override
    public Created symlink(Caller caller, long dir, String name, byte[] target, SetAttributes a) {
        if (target.length == 0) {
            throw new FsException.Invalid("empty symbolic link target");
        }
        byte[] copy = target.clone();
        return makeNode(caller, dir, name, FileType.SYMLINK, 0777, a,
                i -> new Inode(i.ino(), i.generation(), i.type(), 0777, i.uid(), i.gid(), 1, copy.length,
                        i.atime(), i.mtime(), i.ctime(), null, 0, 0, 0, 0, copy));
    }

    /**
     * Sockets and FIFOs only. Device nodes are refused with BadType (NFS3ERR_BADTYPE): RFC 1813
     * §3.3.11 says a server that does not support the target type returns that error. A device
     * node on a datastore shared by several hypervisors would open that host's device on
     * whichever host looks at it, and VM images never need one.
     */
    @Override
    public Created mknod(Caller caller, long dir, String name, FileType type, int major, int minor, SetAttributes a) {
        switch (type) {
            case SOCKET, FIFO -> { }
            case BLOCK_DEVICE, CHAR_DEVICE -> throw new FsException.BadType("device nodes are not supported on a datastore");
            default -> throw new FsException.BadType("mknod cannot create a " + type);
        }
        return makeNode(caller, dir, name, type, 0644, a,
                i -> new Inode(i.ino(), i.generation(), i.type(), i.mode(), i.uid(), i.gid(), 1, 0,
                        i.atime(), i.mtime(), i.ctime(), null, 0, 0, 0, 0, null));
    }

    /** Sticky directories (mode 01000): only the entry's owner, the directory's owner or root may remove or replace it. */
    private static void checkSticky(Inode dir, Inode victim, Caller caller) {
        if ((dir.mode() & 01000) != 0 && !caller.isRoot() && caller.uid() != victim.uid() && caller.uid() != dir.uid()) {
            throw new FsException.AccessDenied("sticky directory: not the owner");
        }
    }

    /** Drops one link of {@code victim} in {@code t}; returns the volume to delete after commit, if any. */
    private UUID unlink(NamespaceStore.Txn t, Inode victim, long now) {
        if (victim.isDirectory() || victim.nlink() <= 1) {
            t.delete(victim.ino());
            return victim.isRegular() ? victim.volume() : null;
        }
        t.put(t.get(victim.ino()).withNlink(victim.nlink() - 1).changed(now));
        return null;
    }

    @Override
    public Change remove(Caller caller, long dir, String name) {
        Names.checkRemovable(name);
        Removed r;
        namespace.lock();
        try {
            r = removeLocked(caller, dir, name, namespace.storeReads);
        } finally {
            namespace.endChange();
        }
        if (r.volume() != null) {
            dropVolumeLater(r.ino(), r.volume());
        }
        return r.change();
    }

    /** What {@link #removeLocked} did, and the volume to delete once that is durable (null: none). */
    record Removed(Change change, long ino, UUID volume) {}

    /** The namespace half of REMOVE, under the namespace lock. */
    Removed removeLocked(Caller caller, long dir, String name, NamespaceStore.Reads reads) {
        Inode d = reads.inode(dir);
        if (!d.isDirectory()) {
            throw new FsException.NotDirectory("inode " + dir + " is not a directory");
        }
        Permissions.require(d, caller, Permissions.WRITE | Permissions.EXECUTE, "directory " + dir);
        Entry e = reads.entry(dir, name);
        if (e == null) {
            throw new FsException.NoEntry(name);
        }
        Inode victim = reads.inode(e.ino());
        if (victim.isDirectory()) {
            throw new FsException.IsDirectory(name + " is a directory");
        }
        checkSticky(d, victim, caller);
        if (reads == namespace.memoryReads && victim.isRegular() && victim.volume() != null && victim.nlink() <= 1) {
            throw NamespaceStore.WouldBlock.INSTANCE; // its volume goes to the deleter after the removal is durable: the worker's path
        }
        long now = now();
        NamespaceStore.Txn t = namespace.new Txn();
        t.removeEntry(dir, name, e);
        UUID drop = unlink(t, victim, now);
        Inode after = t.get(dir).modified(now);
        t.put(after);
        t.commit(reads);
        return new Removed(new Change(d, after), victim.ino(), drop);
    }

    @Override
    public Change rmdir(Caller caller, long dir, String name) {
        if (name.equals(".")) {
            throw new FsException.Invalid("cannot remove '.'");
        }
        if (name.equals("..")) {
            throw new FsException.NotEmpty("cannot remove '..'");
        }
        Names.check(name);
        namespace.lock();
        try {
            Inode d = writableDirectory(caller, dir);
            Entry e = namespace.entry(dir, name);
            if (e == null) {
                throw new FsException.NoEntry(name);
            }
            Inode victim = getattr(e.ino());
            if (!victim.isDirectory()) {
                throw new FsException.NotDirectory(name + " is not a directory");
            }
            checkSticky(d, victim, caller);
            if (!namespace.isEmpty(victim.ino())) {
                throw new FsException.NotEmpty(name);
            }
            long now = now();
            NamespaceStore.Txn t = namespace.new Txn();
            t.removeEntry(dir, name, e);
            t.delete(victim.ino());
            Inode after = t.get(dir).modified(now);
            after = after.withNlink(after.nlink() - 1);
            t.put(after);
            t.commit();
            return new Change(d, after);
        } finally {
            namespace.endChange();
        }
    }

    @Override
    public Renamed rename(Caller caller, long fromDir, String fromName, long toDir, String toName) {
        for (String n : new String[] {fromName, toName}) {
            if (n.equals(".") || n.equals("..")) {
                throw new FsException.Invalid("cannot rename '" + n + "'");
            }
            Names.check(n);
        }
        UUID drop = null;
        long dropIno = 0;
        Renamed result;
        namespace.lock();
        try {
            Inode fd = writableDirectory(caller, fromDir);
            Inode td = writableDirectory(caller, toDir);
            Entry e = namespace.entry(fromDir, fromName);
            if (e == null) {
                throw new FsException.NoEntry(fromName);
            }
            Inode src = getattr(e.ino());
            checkSticky(fd, src, caller);
            Entry existing = namespace.entry(toDir, toName);
            if (existing != null && existing.ino() == e.ino()) {
                return new Renamed(new Change(fd, fd), new Change(td, td)); // POSIX: two links to one file: nothing to do
            }
            if (src.isDirectory() && fromDir != toDir) {
                // a directory cannot move into itself or below itself
                for (long p = toDir; ; ) {
                    if (p == src.ino()) {
                        throw new FsException.Invalid("cannot move a directory into itself");
                    }
                    if (p == ROOT) {
                        break;
                    }
                    p = getattr(p).parent();
                }
            }
            long now = now();
            NamespaceStore.Txn t = namespace.new Txn();
            if (existing != null) {
                Inode target = getattr(existing.ino());
                if (src.isDirectory() && !target.isDirectory()) {
                    throw new FsException.NotDirectory(toName + " is not a directory");
                }
                if (!src.isDirectory() && target.isDirectory()) {
                    throw new FsException.IsDirectory(toName + " is a directory");
                }
                if (target.isDirectory() && !namespace.isEmpty(target.ino())) {
                    throw new FsException.NotEmpty(toName);
                }
                checkSticky(td, target, caller);
                t.removeEntry(toDir, toName, existing);
                drop = unlink(t, target, now);
                dropIno = target.ino();
                if (target.isDirectory()) {
                    Inode x = t.get(toDir);
                    t.put(x.withNlink(x.nlink() - 1));
                }
            }
            t.removeEntry(fromDir, fromName, e);
            t.addEntry(toDir, toName, src.ino());
            Inode moved = t.get(src.ino()).changed(now);
            if (src.isDirectory() && fromDir != toDir) {
                moved = moved.withParent(toDir);
                Inode f = t.get(fromDir);
                t.put(f.withNlink(f.nlink() - 1));
                Inode to = t.get(toDir);
                t.put(to.withNlink(to.nlink() + 1));
            }
            t.put(moved);
            t.put(t.get(fromDir).modified(now));
            t.put(t.get(toDir).modified(now));
            t.commit();
            result = new Renamed(new Change(fd, getattr(fromDir)), new Change(td, getattr(toDir)));
        } finally {
            namespace.endChange();
        }
        if (drop != null) {
            dropVolumeLater(dropIno, drop);
        }
        return result;
    }

    @Override
    public Linked link(Caller caller, long ino, long dir, String name) {
        Names.checkNew(name);
        namespace.lock();
        try {
            Inode file = getattr(ino);
            if (file.isDirectory()) {
                throw new FsException.IsDirectory("cannot hard-link a directory");
            }
            Inode d = writableDirectory(caller, dir);
            if (namespace.entry(dir, name) != null) {
                throw new FsException.Exists(name);
            }
            if (file.nlink() >= MAX_LINKS) {
                throw new FsException.TooManyLinks("inode " + ino);
            }
            long now = now();
            NamespaceStore.Txn t = namespace.new Txn();
            Inode f2 = file.withNlink(file.nlink() + 1).changed(now);
            t.put(f2);
            t.addEntry(dir, name, ino);
            Inode d2 = t.get(dir).modified(now);
            t.put(d2);
            t.commit();
            return new Linked(f2, new Change(d, d2));
        } finally {
            namespace.endChange();
        }
    }

    // ------------------------------------------------------------------ listing and statistics

    @Override
    public DirPage readdir(Caller caller, long dir, long cookie, int maxEntries, boolean withAttributes) {
        Inode d = directory(dir);
        if (cookie < 0 || (cookie >= FIRST_COOKIE && cookie >= d.nextCookie())) {
            throw new FsException.BadCookie("cookie " + cookie + " was never handed out for directory " + dir);
        }
        List<DirEntry> out = new ArrayList<>();
        if (cookie == 0 && out.size() < maxEntries) {
            out.add(new DirEntry(".", d.ino(), 1, withAttributes ? d : null));
        }
        if (cookie <= 1 && out.size() < maxEntries) {
            out.add(new DirEntry("..", d.parent(), 2, withAttributes ? namespace.attributesOrNull(d.parent()) : null));
        }
        int room = maxEntries - out.size();
        if (room <= 0) {
            return new DirPage(out, false);
        }
        String prefix = NamespaceKeys.cookiePrefix(dir);
        Map<String, byte[]> page = namespace.entriesByCookie(dir, cookie, room + 1);
        int taken = 0;
        for (Map.Entry<String, byte[]> e : page.entrySet()) {
            if (taken == room) {
                break;
            }
            ByteBuffer v = ByteBuffer.wrap(e.getValue());
            long child = v.getLong();
            String name = new String(e.getValue(), 8, e.getValue().length - 8, StandardCharsets.UTF_8);
            long c = Long.parseUnsignedLong(e.getKey().substring(prefix.length()), 16);
            out.add(new DirEntry(name, child, c, withAttributes ? namespace.attributesOrNull(child) : null));
            taken++;
        }
        return new DirPage(out, page.size() <= room);
    }

    @Override
    public long cookieVerifier(long dir) {
        return getattr(dir).generation() & 0xffff_ffffL; // cookies never go bad: see the class comment
    }

    @Override
    public FsStats fsstat() {
        PoolUsage u = pool.usage();
        long files = 1L << 32;
        long used = namespace.nextIno();
        long free = Math.max(0, u.freeBytes());
        return new FsStats(u.capacityBytes(), free, free, files, Math.max(0, files - used));
    }
}
