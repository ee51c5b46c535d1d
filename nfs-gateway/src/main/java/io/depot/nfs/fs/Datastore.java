package io.depot.nfs.fs;

import io.depot.engine.EngineException;
import io.depot.engine.NoSuchSnapshotException;
import io.depot.engine.NoSuchVolumeException;
import io.depot.engine.OutOfSpaceException;
import io.depot.engine.Pool;
import io.depot.engine.PoolUsage;
import io.depot.engine.ReadOnlyException;
import io.depot.engine.Settings;
import io.depot.engine.Volume;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A datastore: a directory tree kept in the pool's settings, whose regular files are engine
 * volumes.
 *
 * <h2>Layout (settings names under {@code nfs/}, inode numbers as 16 hex digits)</h2>
 * <pre>
 * nfs/next-ino               the next inode number (8 bytes); numbers are never reused
 * nfs/i/INO                  the inode ({@link Inode#encode})
 * nfs/d/DIR/NAME             a directory entry by name: child inode (8) + cookie (8)
 * nfs/c/DIR/COOKIE           the same entry by cookie: child inode (8) + name (UTF-8)
 * </pre>
 * Every namespace change is one atomic {@link Settings#apply}. A directory hands each new entry
 * the next number of its own counter as cookie, so a listing resumed after a cookie keeps its
 * place whatever is added or removed meanwhile; the cookie verifier never needs to change.
 *
 * <h2>Regular files and their volumes</h2>
 * File {@code INO}'s bytes live in the volume named {@code nfs.INO}. The inode holds the exact
 * byte size; the volume is at least that rounded up to 512 (the engine's sector), grown with
 * headroom as writes extend the file, and everything in it beyond the file size reads as zeros.
 * Unaligned reads and writes are done on whole sectors, writes by read-modify-write of the edge
 * sectors under the file's exclusive lock (aligned writes share the lock).
 *
 * <p>A write that extends the file updates the size and mtime in memory; they reach the store at
 * the next COMMIT, stable write, attribute change, namespace change of the file, or close. After
 * a crash an uncommitted extension is therefore forgotten (the client resends it: the write
 * verifier changed), and the first open of a file in a process zeroes what lies past its size.
 *
 * <h2>Crash safety of create and remove</h2>
 * Create makes the volume first, then commits inode and entry atomically; remove commits the
 * namespace change first, then deletes the volume. A crash in between leaves a volume named like
 * a file's that no inode references: {@link #open} deletes those before serving. An inode whose
 * volume is missing (deleted behind our back) gets a new empty volume and size 0, loudly logged.
 */
public final class Datastore implements VirtualFileSystem, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Datastore.class);

    public static final long ROOT = 1;
    public static final long MAX_FILE_SIZE = 64L << 40; // the engine's largest volume
    public static final int MAX_NAME_BYTES = 255;
    public static final int MAX_LINKS = 65000;
    static final long FIRST_COOKIE = 3; // 1 and 2 are "." and ".."
    static final int SECTOR = 512;
    private static final long GROW_STEP = 1L << 30;
    private static final long DIR_SIZE = 4096;
    private static final String NEXT_INO = "nfs/next-ino";
    private static final String CLEAN = "nfs/clean";
    /** How long an event loop waits for the namespace lock before leaving a change to a worker. */
    private static final long FAST_LOCK_WAIT_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
    private static final Pattern VOLUME_NAME = Pattern.compile("nfs\\.([0-9a-f]{16})");

    private final Pool pool;
    private final Settings settings;
    /** Serialises namespace changes and inode-cache updates; taken after a file's data lock, never before. */
    private final ReentrantLock ns = new ReentrantLock();
    /** Inodes whose cached size/mtime is newer than the stored one; never evicted from {@link #inodes}. */
    private final Set<Long> dirty = ConcurrentHashMap.newKeySet();
    private final BoundedCache<Long, Inode> inodes;
    /**
     * Directory entries by name. Filled and changed only under {@link #ns} (by commits, and by
     * reads that take it), so an entry here is never older than the store's; read without it by
     * {@link #cachedLookup}. Names that do not exist are not cached.
     */
    private final BoundedCache<EntryKey, Entry> entries;
    /** Open files; one with I/O under way is never evicted (its lock must stay the only one). */
    private final BoundedCache<Long, FileData> files;
    /**
     * Every file volume by id: the engine finds a volume by id or name with a scan of all its
     * volumes, which a datastore of many files cannot afford on each open.
     */
    private final ConcurrentHashMap<UUID, Volume> volumesById = new ConcurrentHashMap<>();
    private final ExportSnapshots snapshots;
    /** Namespace changes are applied under {@link #ns} without a sync and share syncs after it. */
    private final GroupSync durability;
    /** Makes the volume of a file's first data; taken before {@link #ns}, never after. */
    private final ReentrantLock volumeCreation = new ReentrantLock();
    /**
     * Deletes removed files' volumes off the request path: the namespace commit is the durable
     * point of a remove, and the sweep at {@link #open} deletes a volume no inode names.
     */
    private final ThreadPoolExecutor deleter = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), Thread.ofPlatform().name("nfs-volume-deleter").daemon().factory());
    /** Orders the deletion of a removed file's volume against that of its last snapshot. */
    private final ReentrantLock volumeDeletion = new ReentrantLock();
    /** Whether the last process closed the datastore: then no file has bytes past its size to zero. */
    private boolean cleanStart;
    private long nextIno;

    /** An open regular file: its volume and the lock that orders I/O against read-modify-write and truncation. */
    private static final class FileData {
        final Volume volume;
        final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
        /** Whether what lies past the size was zeroed (before the first I/O through this object). */
        volatile boolean reconciled;
        /** Operations using this object now; guarded by the {@link #files} cache's monitor. */
        int users;

        FileData(Volume volume, boolean reconciled) {
            this.volume = volume;
            this.reconciled = reconciled;
        }
    }

    /**
     * How much the datastore keeps in memory.
     *
     * @param inodes     cached inodes (plus those whose size is not stored yet)
     * @param openFiles  open files (plus those with I/O under way)
     */
    public record Limits(int inodes, int openFiles) {
        public static Limits defaults() { return new Limits(100_000, 4096); }
    }

    private Datastore(Pool pool, Limits limits) {
        this.pool = pool;
        this.settings = pool.settings();
        this.inodes = new BoundedCache<>(limits.inodes(), i -> dirty.contains(i.ino()));
        this.entries = new BoundedCache<>(limits.inodes(), e -> false);
        this.files = new BoundedCache<>(limits.openFiles(), fd -> fd.users > 0);
        this.snapshots = new ExportSnapshots(this, pool);
        this.durability = new GroupSync(settings);
        this.deleter.allowCoreThreadTimeOut(true); // no idle thread left behind by a datastore never closed
    }

    /** Opens the datastore of {@code pool}, creating its root on first use and repairing what a crash left. */
    public static Datastore open(Pool pool) {
        return open(pool, Limits.defaults());
    }

    public static Datastore open(Pool pool, Limits limits) {
        Datastore d = new Datastore(pool, limits);
        d.start();
        return d;
    }

    private void start() {
        cleanStart = settings.get(CLEAN) != null;
        if (cleanStart) {
            settings.delete(CLEAN); // durable before any write: a crash from here on is not a clean stop
        }
        byte[] n = settings.get(NEXT_INO);
        nextIno = n == null ? ROOT + 1 : ByteBuffer.wrap(n).getLong();
        if (settings.get(inodeKey(ROOT)) == null) {
            long now = now();
            Inode root = new Inode(ROOT, newGeneration(), FileType.DIRECTORY, 0755, 0, 0, 2, DIR_SIZE, now, now, now,
                    null, ROOT, FIRST_COOKIE, 0, 0, null);
            Txn t = new Txn();
            t.put(root);
            t.commit();
            log.info("created an empty NFS datastore in pool {}", pool.uuid());
        }
        recover();
        durability.awaitDurable(durability.lastApplied());
    }

    /** Deletes volumes no inode references, gives inodes whose volume vanished a new one. */
    private void recover() {
        Set<UUID> referenced = new HashSet<>();
        List<Inode> missing = new ArrayList<>();
        long maxIno = ROOT;
        Map<UUID, Volume> volumes = new HashMap<>();
        for (Volume v : pool.volumes()) {
            volumes.put(v.uuid(), v);
        }
        String after = null;
        while (true) {
            Map<String, byte[]> page = settings.list("nfs/i/", after, 4096);
            if (page.isEmpty()) {
                break;
            }
            for (Map.Entry<String, byte[]> e : page.entrySet()) {
                long ino = Long.parseUnsignedLong(e.getKey().substring(6), 16);
                Inode i = Inode.decode(ino, e.getValue());
                maxIno = Math.max(maxIno, ino);
                if (i.isRegular() && i.volume() != null) { // none: never written (see create)
                    if (volumes.containsKey(i.volume())) {
                        referenced.add(i.volume());
                        volumesById.put(i.volume(), volumes.get(i.volume()));
                    } else {
                        missing.add(i);
                    }
                }
                after = e.getKey();
            }
        }
        List<Volume> fileVolumes = new ArrayList<>();
        for (Volume v : volumes.values()) {
            if (VOLUME_NAME.matcher(v.name()).matches()) {
                fileVolumes.add(v);
                volumesById.put(v.uuid(), v); // a removed file's volume stays while its snapshots do
            }
        }
        snapshots.recover(fileVolumes);
        for (Volume v : fileVolumes) {
            if (!referenced.contains(v.uuid()) && v.snapshots().isEmpty()) {
                volumesById.remove(v.uuid());
                try {
                    v.delete();
                    log.warn("deleted volume {}: no file refers to it (left by a create or remove that a crash interrupted)", v.name());
                } catch (EngineException e) {
                    log.error("volume {} belongs to no file but cannot be deleted: {}", v.name(), e.getMessage());
                }
            }
        }
        nextIno = Math.max(nextIno, maxIno + 1);
        for (Inode i : missing) {
            Volume v = pool.createVolume(volumeName(i.ino()), SECTOR);
            volumesById.put(v.uuid(), v);
            Inode fixed = i.withVolume(v.uuid()).withSize(0).modified(now());
            Txn t = new Txn();
            t.put(fixed);
            t.commit();
            log.error("file inode {} had lost its volume {}; it now has an empty one (its data is gone)", i.ino(), i.volume());
        }
    }

    // ------------------------------------------------------------------ keys and encodings

    static String hex(long v) {
        String s = Long.toHexString(v);
        return "0".repeat(16 - s.length()) + s;
    }

    static String inodeKey(long ino) { return "nfs/i/" + hex(ino); }

    static String nameKey(long dir, String name) { return "nfs/d/" + hex(dir) + "/" + name; }

    static String namePrefix(long dir) { return "nfs/d/" + hex(dir) + "/"; }

    static String cookiePrefix(long dir) { return "nfs/c/" + hex(dir) + "/"; }

    static String cookieKey(long dir, long cookie) { return cookiePrefix(dir) + hex(cookie); }

    /** The name of the volume that holds file {@code ino}'s bytes. */
    public static String volumeName(long ino) { return "nfs." + hex(ino); }

    Settings settings() { return settings; }

    private record Entry(long ino, long cookie) {}

    private record EntryKey(long dir, String name) {}

    private Entry entry(long dir, String name) {
        EntryKey k = new EntryKey(dir, name);
        Entry e = entries.get(k);
        if (e != null) {
            return e;
        }
        ns.lock(); // a read outside the lock could cache an entry a commit is removing
        try {
            e = entries.get(k);
            if (e == null) {
                byte[] v = settings.get(nameKey(dir, name));
                if (v == null) {
                    return null;
                }
                ByteBuffer b = ByteBuffer.wrap(v);
                e = new Entry(b.getLong(), b.getLong());
                entries.put(k, e);
            }
            return e;
        } finally {
            ns.unlock();
        }
    }

    private static long now() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private static int newGeneration() {
        int g;
        do {
            g = ThreadLocalRandom.current().nextInt();
        } while (g == 0);
        return g;
    }

    private static long roundUp(long v) { return (v + SECTOR - 1) & ~(long) (SECTOR - 1); }

    /** One atomic namespace change: inode writes and deletes, entry additions and removals. */
    private final class Txn {
        final Map<String, byte[]> changes = new LinkedHashMap<>();
        final Map<Long, Inode> puts = new LinkedHashMap<>();
        final Set<Long> deletes = new HashSet<>();
        final Map<EntryKey, Entry> entryChanges = new LinkedHashMap<>(); // null: removed
        boolean inoUsed;

        /** The working version of {@code ino}: as changed in this transaction, else as stored. */
        Inode get(long ino) {
            Inode i = puts.get(ino);
            return i != null ? i : getattr(ino);
        }

        void put(Inode i) {
            changes.put(inodeKey(i.ino()), i.encode());
            puts.put(i.ino(), i);
        }

        void delete(long ino) {
            changes.put(inodeKey(ino), null);
            puts.remove(ino);
            deletes.add(ino);
        }

        long allocateIno() {
            inoUsed = true;
            return nextIno++;
        }

        void addEntry(long dir, String name, long child) {
            Inode d = get(dir);
            long cookie = d.nextCookie();
            changes.put(nameKey(dir, name), ByteBuffer.allocate(16).putLong(child).putLong(cookie).array());
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            changes.put(cookieKey(dir, cookie), ByteBuffer.allocate(8 + n.length).putLong(child).put(n).array());
            entryChanges.put(new EntryKey(dir, name), new Entry(child, cookie));
            put(d.withNextCookie(cookie + 1));
        }

        void removeEntry(long dir, String name, Entry e) {
            changes.put(nameKey(dir, name), null);
            changes.put(cookieKey(dir, e.cookie()), null);
            entryChanges.put(new EntryKey(dir, name), null);
        }

        /** Applies the change, visible at once; durable when the caller's {@link #endChange} returns. */
        void commit() {
            commit(storeReads);
        }

        /**
         * As {@link #commit()}; with {@link #memoryReads} it throws {@link WouldBlock}, changing
         * nothing, where the store would stall its writer.
         */
        void commit(Reads how) {
            if (inoUsed) {
                changes.put(NEXT_INO, ByteBuffer.allocate(8).putLong(nextIno).array());
            }
            if (how == memoryReads) {
                if (!settings.tryApplyUnsynced(changes)) {
                    throw WouldBlock.INSTANCE;
                }
            } else {
                settings.applyUnsynced(changes);
            }
            durability.applied();
            puts.forEach(inodes::put);
            entryChanges.forEach((k, e) -> {
                if (e == null) {
                    entries.remove(k);
                } else {
                    entries.put(k, e);
                }
            });
            dirty.removeAll(puts.keySet());
            for (long ino : deletes) {
                inodes.remove(ino);
                dirty.remove(ino);
            }
        }
    }

    /**
     * Where a namespace change reads the inodes and entries it needs: {@link #storeReads} from the
     * caches or the store, {@link #memoryReads} from memory only, throwing {@link WouldBlock} where
     * only a disk read could tell (an event loop then leaves the call to a worker).
     */
    private interface Reads {
        Inode inode(long ino);

        Entry entry(long dir, String name);
    }

    private final Reads storeReads = new Reads() {
        @Override
        public Inode inode(long ino) { return getattr(ino); }

        @Override
        public Entry entry(long dir, String name) { return Datastore.this.entry(dir, name); }
    };

    private final Reads memoryReads = new Reads() {
        @Override
        public Inode inode(long ino) {
            Inode i = inodes.get(ino);
            if (i == null) {
                throw WouldBlock.INSTANCE;
            }
            return i;
        }

        @Override
        public Entry entry(long dir, String name) { // under ns, so what the store says is what the cache would
            EntryKey k = new EntryKey(dir, name);
            Entry e = entries.get(k);
            if (e != null) {
                return e;
            }
            io.depot.engine.CachedValue<byte[]> c = settings.getCached(nameKey(dir, name));
            if (c == null) {
                throw WouldBlock.INSTANCE;
            }
            if (c.value() == null) {
                return null;
            }
            ByteBuffer b = ByteBuffer.wrap(c.value());
            e = new Entry(b.getLong(), b.getLong());
            entries.put(k, e);
            return e;
        }
    };

    /** A change made from memory would have to wait: nothing was changed. Thrown only under {@link #memoryReads}. */
    private static final class WouldBlock extends RuntimeException {
        static final WouldBlock INSTANCE = new WouldBlock();

        private WouldBlock() { super("would block", null, false, false); }
    }

    /**
     * A namespace change made without blocking ({@link #tryCreate}, {@link #tryRemove}): visible
     * already, to be reported only once {@link #whenDurable} says its {@code ticket} is durable.
     */
    public record Pending<T>(T result, long ticket) {}

    /** Told once a change is durable ({@code true}) or once the sync meant to make it so failed ({@code false}). */
    @FunctionalInterface
    public interface Durable {
        void done(boolean durable);
    }

    /**
     * Calls {@code done} once change {@code ticket} of a {@link Pending} is durable: at once on
     * this thread if it already is, else on the syncing thread (so {@code done} must only hand
     * work on, e.g. to an event loop).
     */
    public void whenDurable(long ticket, Durable done) {
        durability.whenDurable(ticket, done::done);
    }

    /**
     * Releases {@link #ns} and waits until every change applied so far is durable, the caller's
     * included: what a reply reports is on stable storage before it is sent (RFC 1813 §4.7).
     * The wait happens outside the lock, so changes of concurrent callers share one sync.
     */
    private void endChange() {
        long owed = durability.lastApplied();
        ns.unlock();
        if (ns.isHeldByCurrentThread()) {
            return; // an outer change of this thread waits when it ends
        }
        try {
            durability.awaitDurable(owed);
        } catch (EngineException e) {
            throw translate(e);
        }
    }

    // ------------------------------------------------------------------ attributes and lookup

    @Override
    public Inode getattr(long ino, int generation) {
        Inode i = getattr(ino);
        if (i.generation() != generation) {
            throw new FsException.Stale("inode " + ino + " generation " + generation + " is gone");
        }
        return i;
    }

    @Override
    public Inode getattr(long ino) {
        Inode i = inodes.get(ino);
        if (i != null) {
            return i;
        }
        ns.lock();
        try {
            i = inodes.get(ino);
            if (i == null) {
                byte[] b = settings.get(inodeKey(ino));
                if (b == null) {
                    throw new FsException.Stale("inode " + ino + " does not exist");
                }
                i = Inode.decode(ino, b);
                inodes.put(ino, i);
            }
            return i;
        } finally {
            ns.unlock();
        }
    }

    private Inode directory(long dir) {
        Inode d = getattr(dir);
        if (!d.isDirectory()) {
            throw new FsException.NotDirectory("inode " + dir + " is not a directory");
        }
        return d;
    }

    /** The name rules of a component: at most 255 bytes, no '/' or NUL. */
    private static void checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new FsException.NoEntry("empty name");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new FsException.NameTooLong("name of more than " + MAX_NAME_BYTES + " bytes");
        }
        if (name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new FsException.Invalid("a name cannot hold '/' or NUL");
        }
    }

    /** For a name to be created: also not "." or "..". */
    private static void checkNewName(String name) {
        checkName(name);
        if (name.equals(".") || name.equals("..")) {
            throw new FsException.Exists("'" + name + "' always exists");
        }
    }

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
        Permissions.require(d, caller, Permissions.EXECUTE, "lookup");
        if (name.equals(".")) {
            return d;
        }
        if (name.equals("..")) {
            return getattr(d.parent());
        }
        checkName(name);
        Entry e = entry(dir, name);
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
    public Change setattr(Caller caller, long ino, SetAttributes a, Long guardCtime) {
        while (true) {
            Inode first = getattr(ino);
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
                first = withVolume(ino);
            }
            FileData fd = data(first);
            Lock l = fd.lock.writeLock(); // lock order: file data, then namespace
            l.lock();
            try {
                return setattrLocked(caller, ino, a, guardCtime, fd);
            } finally {
                l.unlock();
                release(fd);
            }
        }
    }

    /** Null if the size must change but the file has a volume that {@code fd} (null) does not hold open. */
    private Change setattrLocked(Caller caller, long ino, SetAttributes a, Long guardCtime, FileData fd) {
        ns.lock();
        try {
            Inode before = getattr(ino);
            if (fd == null && a.size() != null && a.size() != before.size()) {
                return null;
            }
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
                    truncate(fd, before.size(), a.size());
                    after = after.withSize(a.size()).modified(now);
                } else {
                    after = after.modified(now); // POSIX truncate to the same size still updates the times
                }
            }
            long at = a.atime() == null ? after.atime() : a.atime() == SetAttributes.SERVER_TIME ? now : a.atime();
            long mt = a.mtime() == null ? after.mtime() : a.mtime() == SetAttributes.SERVER_TIME ? now : a.mtime();
            after = after.withTimes(at, mt, now);
            Txn t = new Txn();
            t.put(after);
            t.commit();
            return new Change(before, after);
        } catch (EngineException e) {
            throw translate(e);
        } finally {
            endChange();
        }
    }

    @Override
    public byte[] readlink(Caller caller, long ino) {
        Inode i = getattr(ino);
        if (i.type() != FileType.SYMLINK) {
            throw new FsException.Invalid("not a symbolic link");
        }
        return i.target().clone();
    }

    // ------------------------------------------------------------------ data

    /**
     * The inode of regular file {@code ino}, given a volume if it has none yet. CREATE makes no
     * volume (most files of a metadata workload are never written, and an empty file needs
     * none); the first WRITE or size-changing SETATTR makes it here. Crash-safe like create
     * used to be: the volume exists (durably) before the inode names it, and the sweep at
     * {@link #open} deletes a volume that a crash left unnamed.
     */
    private Inode withVolume(long ino) {
        Inode i = getattr(ino);
        if (i.volume() != null) {
            return i;
        }
        volumeCreation.lock();
        try {
            i = getattr(ino);
            if (i.volume() != null) {
                return i;
            }
            Volume v = pool.createVolume(volumeName(ino), SECTOR);
            volumesById.put(v.uuid(), v);
            boolean named = false;
            ns.lock();
            try {
                Txn t = new Txn();
                Inode cur = getattr(ino); // Stale if removed meanwhile
                t.put(cur.withVolume(v.uuid()));
                t.commit();
                named = true;
                return getattr(ino);
            } finally {
                try {
                    endChange();
                } finally {
                    if (!named) {
                        volumesById.remove(v.uuid());
                        deleteQuietly(v);
                    }
                }
            }
        } catch (EngineException e) {
            throw translate(e);
        } finally {
            volumeCreation.unlock();
        }
    }

    /** The open file for I/O, reconciled with the stored size on first use; give it back with {@link #release}. */
    private FileData data(Inode file) {
        FileData fd = acquire(file);
        try {
            reconcile(file, fd);
        } catch (RuntimeException e) {
            release(fd);
            throw e;
        }
        return fd;
    }

    private void reconcile(Inode file, FileData fd) {
        if (!fd.reconciled) {
            Lock l = fd.lock.writeLock();
            l.lock();
            try {
                if (!fd.reconciled) {
                    zeroBeyond(fd, getattr(file.ino()).size());
                    fd.reconciled = true;
                }
            } catch (EngineException e) {
                throw translate(e);
            } finally {
                l.unlock();
            }
        }
    }

    /** The open file, pinned in the cache until {@link #release}. */
    private FileData acquire(Inode file) {
        Volume v = volume(file);
        synchronized (files) {
            FileData fd = files.computeIfAbsent(file.ino(), ino -> new FileData(v, cleanStart));
            fd.users++;
            return fd;
        }
    }

    private void release(FileData fd) {
        synchronized (files) {
            fd.users--;
        }
    }

    /** A regular file's volume (without opening the file for I/O); the file must have one. */
    Volume volume(Inode file) {
        if (file.volume() == null) {
            throw new FsException.IoError("file " + file.ino() + " has no volume (it was never written)");
        }
        Volume v = volumesById.get(file.volume());
        if (v == null) {
            throw new FsException.Stale("the volume of file " + file.ino() + " is gone");
        }
        return v;
    }

    /**
     * Makes everything past {@code size} read as zeros and the volume no larger than needed: what
     * a crash may have left of an extension that was never committed.
     */
    private void zeroBeyond(FileData fd, long size) {
        Volume v = fd.volume;
        long keep = Math.max(SECTOR, roundUp(size));
        if (v.sizeBytes() > keep) {
            v.shrink(keep);
        }
        if (size % SECTOR != 0) {
            long sector = size & ~(long) (SECTOR - 1);
            ByteBuffer b = ByteBuffer.allocate(SECTOR);
            v.read(sector, b);
            b.clear();
            int from = (int) (size - sector);
            b.put(from, new byte[SECTOR - from]);
            v.write(sector, b);
        }
        long zeroFrom = roundUp(size);
        if (zeroFrom < v.sizeBytes()) {
            v.unmap(zeroFrom, v.sizeBytes() - zeroFrom);
        }
    }

    /** Under the file's exclusive lock. */
    private void truncate(FileData fd, long oldSize, long newSize) {
        if (newSize < oldSize) {
            zeroBeyond(fd, newSize);
        } else {
            long need = roundUp(newSize);
            if (fd.volume.sizeBytes() < need) {
                fd.volume.grow(need); // an explicit size (a VM disk) gets no headroom
            }
        }
    }

    /** Grows the volume to hold {@code end} bytes, with headroom so that appends rarely resize. */
    private static void ensureCapacity(FileData fd, long end) {
        long need = roundUp(end);
        synchronized (fd) {
            long cur = fd.volume.sizeBytes();
            if (cur < need) {
                long target = Math.max(need, Math.min(cur * 2, cur + GROW_STEP));
                fd.volume.grow(Math.min(roundUp(target), MAX_FILE_SIZE));
            }
        }
    }

    private Inode regularFile(long ino) {
        Inode i = getattr(ino);
        if (i.isDirectory()) {
            throw new FsException.IsDirectory("inode " + ino + " is a directory");
        }
        if (!i.isRegular()) {
            throw new FsException.Invalid("inode " + ino + " is not a regular file");
        }
        return i;
    }

    @Override
    public ReadResult read(Caller caller, long ino, long offset, int count, ByteBuffer dst) {
        Inode i = regularFile(ino);
        if (!Permissions.allowsData(i, caller, Permissions.READ)) {
            throw new FsException.AccessDenied("read: permission denied");
        }
        if (offset < 0 || count < 0) {
            throw new FsException.Invalid("offset " + offset + ", count " + count);
        }
        if (i.volume() == null) { // never written: empty
            return new ReadResult(dst.duplicate().position(0).limit(0), true, i);
        }
        FileData fd = data(i);
        Lock l = fd.lock.readLock();
        l.lock();
        try {
            Inode cur = getattr(ino);
            long size = cur.size();
            if (offset >= size || count == 0) {
                return new ReadResult(dst.duplicate().position(0).limit(0), offset >= size, cur);
            }
            int n = (int) Math.min(count, size - offset);
            long start = offset & ~(long) (SECTOR - 1);
            fd.volume.read(start, sectorsOf(dst, offset, n));
            return readResult(dst, offset, n, cur);
        } catch (EngineException e) {
            throw translate(e);
        } finally {
            l.unlock();
            release(fd);
        }
    }

    /** Where {@link #read} puts the whole sectors holding {@code n} bytes at {@code offset}: from {@code dst}'s start. */
    private static ByteBuffer sectorsOf(ByteBuffer dst, long offset, int n) {
        long start = offset & ~(long) (SECTOR - 1);
        return dst.duplicate().position(0).limit((int) (roundUp(offset + n) - start));
    }

    /** The result of reading {@code n} bytes at {@code offset} into {@link #sectorsOf}: the view of just those bytes. */
    private static ReadResult readResult(ByteBuffer dst, long offset, int n, Inode cur) {
        int skip = (int) (offset & (SECTOR - 1));
        return new ReadResult(dst.duplicate().limit(skip + n).position(skip), offset + n >= cur.size(), cur);
    }

    /**
     * {@link #read} answered from memory, or null when that could wait or would fail: attributes or
     * open file not cached, the file's or the volume's locks taken, mapping pages or bytes not in
     * memory (the OS page cache), a clone reading through its origin, any error. The ordinary
     * {@link #read} then answers, errors included. Never blocks, for answering on an event loop;
     * the same checks, locks (tried, not waited for) and bytes as {@link #read}.
     */
    public ReadResult readFromMemory(Caller caller, long ino, long offset, int count, ByteBuffer dst) {
        Inode i = inodes.get(ino);
        if (i == null || !i.isRegular() || !Permissions.allowsData(i, caller, Permissions.READ) || offset < 0 || count < 0) {
            return null;
        }
        if (i.volume() == null) { // never written: empty
            return new ReadResult(dst.duplicate().position(0).limit(0), true, i);
        }
        FileData fd;
        synchronized (files) {
            fd = files.get(ino);
            if (fd == null || !fd.reconciled || !fd.volume.uuid().equals(i.volume())) {
                return null; // opened (and reconciled) by the ordinary path first
            }
            fd.users++;
        }
        Lock l = fd.lock.readLock();
        if (!l.tryLock()) {
            release(fd);
            return null;
        }
        try {
            Inode cur = inodes.get(ino);
            if (cur == null) {
                return null;
            }
            long size = cur.size();
            if (offset >= size || count == 0) {
                return new ReadResult(dst.duplicate().position(0).limit(0), offset >= size, cur);
            }
            int n = (int) Math.min(count, size - offset);
            return fd.volume.tryRead(offset & ~(long) (SECTOR - 1), sectorsOf(dst, offset, n)) ? readResult(dst, offset, n, cur) : null;
        } catch (RuntimeException e) { // the ordinary path reports it
            return null;
        } finally {
            l.unlock();
            release(fd);
        }
    }

    @Override
    public WriteResult write(Caller caller, long ino, long offset, ByteBuffer src, Stability stability) {
        Inode i = regularFile(ino);
        if (!Permissions.allowsData(i, caller, Permissions.WRITE)) {
            throw new FsException.AccessDenied("write: permission denied");
        }
        int len = src.remaining();
        if (offset < 0 || offset + len > MAX_FILE_SIZE || offset + len < 0) {
            throw new FsException.FileTooBig("write of " + len + " bytes at " + offset);
        }
        if (i.volume() == null) {
            i = withVolume(ino);
        }
        FileData fd = data(i);
        boolean aligned = offset % SECTOR == 0 && len % SECTOR == 0;
        boolean fua = stability != Stability.UNSTABLE;
        long end = offset + len;
        // aligned writes may run side by side; a read-modify-write of edge sectors must run alone
        Lock l = aligned ? fd.lock.readLock() : fd.lock.writeLock();
        l.lock();
        Inode before;
        Inode after;
        try {
            before = getattr(ino);
            if (len > 0) {
                ensureCapacity(fd, end);
                if (aligned) {
                    fd.volume.write(offset, src, fua);
                } else {
                    long start = offset & ~(long) (SECTOR - 1);
                    long stop = roundUp(end);
                    ByteBuffer b = ByteBuffer.allocate((int) (stop - start));
                    if (start != offset) {
                        fd.volume.read(start, b.slice(0, SECTOR));
                    }
                    if (stop != end) {
                        fd.volume.read(stop - SECTOR, b.slice(b.capacity() - SECTOR, SECTOR));
                    }
                    b.put((int) (offset - start), src, src.position(), len);
                    fd.volume.write(start, b, fua);
                }
            }
            ns.lock();
            try {
                Inode cur = getattr(ino);
                after = cur.withSize(Math.max(cur.size(), end)).modified(now());
                inodes.put(ino, after);
                dirty.add(ino);
                if (fua) {
                    persist(ino);
                }
            } finally {
                if (fua) {
                    endChange();
                } else {
                    ns.unlock(); // nothing stored: an unstable write waits for no sync
                }
            }
        } catch (EngineException e) {
            throw translate(e);
        } finally {
            l.unlock();
            release(fd);
        }
        return new WriteResult(new Change(before, after), len, fua ? Stability.FILE_SYNC : Stability.UNSTABLE);
    }

    /**
     * Stores the cached inode if it is newer than the stored one. Under {@link #ns}; durable
     * once the caller's {@link #endChange} returns.
     */
    private void persist(long ino) {
        if (dirty.remove(ino)) {
            Inode i = inodes.get(ino);
            if (i == null) {
                return;
            }
            try {
                Map<String, byte[]> change = new HashMap<>();
                change.put(inodeKey(ino), i.encode());
                settings.applyUnsynced(change);
                durability.applied();
            } catch (RuntimeException e) {
                dirty.add(ino);
                throw e;
            }
        }
    }

    @Override
    public Change commit(long ino) {
        Inode before = getattr(ino);
        if (!before.isRegular()) {
            return new Change(before, before);
        }
        try {
            if (before.volume() != null) {
                FileData fd = data(before);
                try {
                    fd.volume.flush();
                } finally {
                    release(fd);
                }
            }
            ns.lock();
            try {
                persist(ino);
            } finally {
                endChange();
            }
        } catch (EngineException e) {
            throw translate(e);
        }
        return new Change(before, getattr(ino));
    }

    /** Engine failures in file-system terms. */
    static FsException translate(EngineException e) {
        if (e instanceof OutOfSpaceException) {
            return new FsException.NoSpace(e.getMessage(), e);
        }
        if (e instanceof NoSuchVolumeException) {
            return new FsException.Stale(e.getMessage(), e);
        }
        if (e instanceof ReadOnlyException) {
            return new FsException.ReadOnly(e.getMessage(), e);
        }
        log.warn("engine error under NFS: {}", e.toString());
        return new FsException.IoError(e.getMessage(), e);
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
        return new Inode(ino, newGeneration(), type, mode, uid, gid, 1, 0, at, mt, now, null, 0, 0, 0, 0, null);
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
        checkNewName(name);
        ns.lock();
        try {
            Made m = createLocked(caller, dir, name, a, how, verifier, storeReads);
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
            throw translate(e);
        } finally {
            endChange();
        }
    }

    /**
     * CREATE from memory, for an event loop: as {@link #create}, or null having changed nothing
     * when that would have to wait (the namespace lock is busy beyond a short wait, an entry or
     * inode is not in memory, the store throttles writers), when the attributes carry a size, or when create
     * would fail (the ordinary call then answers, errors included). The result is visible at
     * once and may be reported once {@link #whenDurable} says so.
     */
    public Pending<Created> tryCreate(Caller caller, long dir, String name, SetAttributes a, CreateMode how, long verifier) {
        if (a.size() != null || !lockWithoutBlocking()) {
            return null;
        }
        try {
            checkNewName(name);
            Created c = createLocked(caller, dir, name, a, how, verifier, memoryReads).created();
            return new Pending<>(c, durability.lastApplied()); // also covers an entry found but not yet durable
        } catch (WouldBlock | FsException | EngineException e) {
            return null;
        } finally {
            ns.unlock();
        }
    }

    /**
     * Takes {@link #ns} for an event loop: waits at most {@link #FAST_LOCK_WAIT_NANOS}, about what
     * another fast change holds it for (two event loops often want it at once), so that a busy
     * lock costs less than handing the call to a worker; false when held longer (a worker's change).
     */
    private boolean lockWithoutBlocking() {
        try {
            return ns.tryLock(FAST_LOCK_WAIT_NANOS, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** What {@link #createLocked} did: made a file, or found one by that name ({@code existed}). */
    private record Made(Created created, boolean existed) {}

    /** The namespace half of CREATE, under {@link #ns}; sizes are left to the caller. */
    private Made createLocked(Caller caller, long dir, String name, SetAttributes a, CreateMode how, long verifier, Reads reads) {
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
        Txn t = new Txn();
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

    /** Sets a file's size with {@link #ns} released meanwhile (setattr takes the file's lock first); under ns again after. */
    private Inode resizeUnlocked(Caller caller, long ino, long size) {
        ns.unlock();
        try {
            return setattr(caller, ino, SetAttributes.size(size), null).after();
        } finally {
            ns.lock();
        }
    }

    private static void deleteQuietly(Volume v) {
        try {
            v.delete();
        } catch (RuntimeException e) {
            log.warn("could not delete volume {} of a failed create ({}); the next start removes it", v.name(), e.getMessage());
        }
    }

    private Created makeNode(Caller caller, long dir, String name, FileType type, int defaultMode, SetAttributes a,
                             java.util.function.UnaryOperator<Inode> shape) {
        checkNewName(name);
        ns.lock();
        try {
            Inode d = writableDirectory(caller, dir);
            if (entry(dir, name) != null) {
                throw new FsException.Exists(name);
            }
            Txn t = new Txn();
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
            endChange();
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
    private UUID unlink(Txn t, Inode victim, long now) {
        if (victim.isDirectory() || victim.nlink() <= 1) {
            t.delete(victim.ino());
            return victim.isRegular() ? victim.volume() : null;
        }
        t.put(t.get(victim.ino()).withNlink(victim.nlink() - 1).changed(now));
        return null;
    }

    /**
     * Hands a removed file's volume to the background deleter. Call it only once the removal is
     * durable (after {@link #endChange}): a deletion that reached the disk before the namespace
     * change would leave, after a crash, a file whose data is gone.
     */
    private void dropVolumeLater(long ino, UUID volume) {
        files.remove(ino);
        try {
            deleter.execute(() -> dropVolume(ino, volume));
        } catch (RejectedExecutionException closing) {
            log.info("volume of removed file {} is left for the sweep at the next start (datastore closing)", ino);
        }
    }

    /**
     * Deletes a removed file's volume, unless an export snapshot or a clone still reads through
     * one of its snapshots: then only its live data is dropped, and the volume goes with the last
     * of them ({@link ExportSnapshots#delete}, or the sweep at {@link #open}). On the deleter.
     */
    private void dropVolume(long ino, UUID volume) {
        volumeDeletion.lock();
        try {
            Volume v = volumesById.get(volume);
            if (v == null) {
                return;
            }
            if (!v.snapshots().isEmpty()) {
                v.unmap(0, v.sizeBytes());
                log.debug("volume {} of removed file {} kept for its snapshots", v.name(), ino);
                return;
            }
            volumesById.remove(volume);
            v.delete();
        } catch (RuntimeException e) {
            log.warn("could not delete volume of removed file {} ({}); the next start removes it", ino, e.getMessage());
        } finally {
            volumeDeletion.unlock();
        }
    }

    /** Waits until the volumes of files removed so far are deleted (or kept for their snapshots); for tests. */
    void awaitVolumeDeletions() {
        try {
            deleter.submit(() -> { }).get(); // one thread, in order: everything queued before is done
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    @Override
    public Change remove(Caller caller, long dir, String name) {
        checkRemovableName(name);
        Removed r;
        ns.lock();
        try {
            r = removeLocked(caller, dir, name, storeReads);
        } finally {
            endChange();
        }
        if (r.volume() != null) {
            dropVolumeLater(r.ino(), r.volume());
        }
        return r.change();
    }

    /**
     * REMOVE from memory, for an event loop: as {@link #remove}, or null having changed nothing
     * when that would have to wait (the namespace lock is busy beyond a short wait, the entry or
     * an inode is not in memory, the store throttles writers), when the file has a volume to delete, or when remove
     * would fail (the ordinary call then answers, errors included). The result is visible at once
     * and may be reported once {@link #whenDurable} says so.
     */
    public Pending<Change> tryRemove(Caller caller, long dir, String name) {
        if (!lockWithoutBlocking()) {
            return null;
        }
        try {
            checkRemovableName(name);
            Removed r = removeLocked(caller, dir, name, memoryReads);
            return new Pending<>(r.change(), durability.lastApplied());
        } catch (WouldBlock | FsException | EngineException e) {
            return null;
        } finally {
            ns.unlock();
        }
    }

    private static void checkRemovableName(String name) {
        if (name.equals(".") || name.equals("..")) {
            throw new FsException.Invalid("cannot remove '" + name + "'");
        }
        checkName(name);
    }

    /** What {@link #removeLocked} did, and the volume to delete once that is durable (null: none). */
    private record Removed(Change change, long ino, UUID volume) {}

    /** The namespace half of REMOVE, under {@link #ns}. */
    private Removed removeLocked(Caller caller, long dir, String name, Reads reads) {
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
        if (reads == memoryReads && victim.isRegular() && victim.volume() != null && victim.nlink() <= 1) {
            throw WouldBlock.INSTANCE; // its volume goes to the deleter after the removal is durable: the worker's path
        }
        long now = now();
        Txn t = new Txn();
        t.removeEntry(dir, name, e);
        UUID drop = unlink(t, victim, now);
        Inode after = t.get(dir).modified(now);
        t.put(after);
        t.commit(reads);
        return new Removed(new Change(d, after), victim.ino(), drop);
    }

    private boolean isEmpty(long dir) {
        return settings.list(cookiePrefix(dir), null, 1).isEmpty();
    }

    @Override
    public Change rmdir(Caller caller, long dir, String name) {
        if (name.equals(".")) {
            throw new FsException.Invalid("cannot remove '.'");
        }
        if (name.equals("..")) {
            throw new FsException.NotEmpty("cannot remove '..'");
        }
        checkName(name);
        ns.lock();
        try {
            Inode d = writableDirectory(caller, dir);
            Entry e = entry(dir, name);
            if (e == null) {
                throw new FsException.NoEntry(name);
            }
            Inode victim = getattr(e.ino());
            if (!victim.isDirectory()) {
                throw new FsException.NotDirectory(name + " is not a directory");
            }
            checkSticky(d, victim, caller);
            if (!isEmpty(victim.ino())) {
                throw new FsException.NotEmpty(name);
            }
            long now = now();
            Txn t = new Txn();
            t.removeEntry(dir, name, e);
            t.delete(victim.ino());
            Inode after = t.get(dir).modified(now);
            after = after.withNlink(after.nlink() - 1);
            t.put(after);
            t.commit();
            return new Change(d, after);
        } finally {
            endChange();
        }
    }

    @Override
    public Renamed rename(Caller caller, long fromDir, String fromName, long toDir, String toName) {
        for (String n : new String[] {fromName, toName}) {
            if (n.equals(".") || n.equals("..")) {
                throw new FsException.Invalid("cannot rename '" + n + "'");
            }
            checkName(n);
        }
        UUID drop = null;
        long dropIno = 0;
        Renamed result;
        ns.lock();
        try {
            Inode fd = writableDirectory(caller, fromDir);
            Inode td = writableDirectory(caller, toDir);
            Entry e = entry(fromDir, fromName);
            if (e == null) {
                throw new FsException.NoEntry(fromName);
            }
            Inode src = getattr(e.ino());
            checkSticky(fd, src, caller);
            Entry existing = entry(toDir, toName);
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
            Txn t = new Txn();
            if (existing != null) {
                Inode target = getattr(existing.ino());
                if (src.isDirectory() && !target.isDirectory()) {
                    throw new FsException.NotDirectory(toName + " is not a directory");
                }
                if (!src.isDirectory() && target.isDirectory()) {
                    throw new FsException.IsDirectory(toName + " is a directory");
                }
                if (target.isDirectory() && !isEmpty(target.ino())) {
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
            endChange();
        }
        if (drop != null) {
            dropVolumeLater(dropIno, drop);
        }
        return result;
    }

    @Override
    public Linked link(Caller caller, long ino, long dir, String name) {
        checkNewName(name);
        ns.lock();
        try {
            Inode file = getattr(ino);
            if (file.isDirectory()) {
                throw new FsException.IsDirectory("cannot hard-link a directory");
            }
            Inode d = writableDirectory(caller, dir);
            if (entry(dir, name) != null) {
                throw new FsException.Exists(name);
            }
            if (file.nlink() >= MAX_LINKS) {
                throw new FsException.TooManyLinks("inode " + ino);
            }
            long now = now();
            Txn t = new Txn();
            Inode f2 = file.withNlink(file.nlink() + 1).changed(now);
            t.put(f2);
            t.addEntry(dir, name, ino);
            Inode d2 = t.get(dir).modified(now);
            t.put(d2);
            t.commit();
            return new Linked(f2, new Change(d, d2));
        } finally {
            endChange();
        }
    }

    // ------------------------------------------------------------------ snapshots and clones

    /**
     * Takes a consistent snapshot of every file under the export directory {@code exportPath},
     * visible read-only as {@code <export>/.snapshots/<name>/} (see {@link ExportSnapshots}).
     */
    public ExportSnapshot createExportSnapshot(String exportPath, String name) {
        checkNewName(name);
        Inode root = resolve(exportPath);
        if (!root.isDirectory()) {
            throw new FsException.NotDirectory(exportPath);
        }
        ns.lock();
        try {
            return snapshots.create(root.ino(), name, now());
        } catch (EngineException e) {
            throw translate(e);
        } finally {
            ns.unlock();
        }
    }

    /** Deletes an export snapshot; NoEntry if there is none of that name. */
    public void deleteExportSnapshot(String exportPath, String name) {
        Inode root = resolve(exportPath);
        ns.lock();
        try {
            ExportSnapshot s = snapshots.byName(root.ino(), name);
            if (s == null) {
                throw new FsException.NoEntry("export snapshot '" + name + "' of " + exportPath);
            }
            snapshots.delete(s);
        } finally {
            ns.unlock();
        }
    }

    public List<ExportSnapshot> listExportSnapshots(String exportPath) {
        return snapshots.list(resolve(exportPath).ino());
    }

    /** The snapshots of the export whose directory is inode {@code root}. */
    public List<ExportSnapshot> exportSnapshots(long root) { return snapshots.list(root); }

    /** Snapshot {@code name} of the export whose directory is {@code root}, or null. */
    public ExportSnapshot exportSnapshot(long root, String name) { return snapshots.byName(root, name); }

    /** The read-only file system of export snapshot {@code id}; Stale once deleted. */
    public VirtualFileSystem snapshotView(int id) { return snapshots.view(id); }

    /**
     * The file system object {@code number} belongs to, seen from the export whose directory is
     * {@code exportRoot}: the live datastore, that export's {@code .snapshots} directory, or one
     * of its snapshots (numbers above 2^40, see {@link SnapshotView}). Stale for a snapshot of
     * another export.
     */
    public VirtualFileSystem view(long number, long exportRoot) {
        int sid = SnapshotView.snapshotOf(number);
        if (sid == 0) {
            return this;
        }
        if (sid == SnapshotDirectory.MARK) {
            if ((number & SnapshotView.LIVE_MASK) != exportRoot) {
                throw new FsException.Stale("the snapshot directory of another export");
            }
            return new SnapshotDirectory(this, exportRoot);
        }
        SnapshotView v = snapshots.view(sid);
        if (v.snapshot().exportRoot() != exportRoot) {
            throw new FsException.Stale("a snapshot of another export");
        }
        return v;
    }

    /** Whether {@code number} names an object of a snapshot or a {@code .snapshots} directory (not of the live tree). */
    public static boolean isSnapshotObject(long number) {
        return SnapshotView.snapshotOf(number) != 0;
    }

    /**
     * The attributes of live object {@code ino} if they are in memory, else null; never blocks
     * (no lock, no store read), for answering on an event loop.
     */
    public Inode cachedAttributes(long ino) {
        return inodes.get(ino);
    }

    /**
     * LOOKUP of {@code name} in live directory {@code dir} from memory, or null when that cannot
     * be answered without blocking (entry or attributes not cached, no search permission, a name
     * the checks refuse: the ordinary {@link #lookup} then answers, errors included).
     */
    public Inode cachedLookup(Caller caller, Inode dir, String name) {
        if (!dir.isDirectory() || name.equals(".") || name.equals("..")
                || !Permissions.allows(dir, caller, Permissions.EXECUTE)) {
            return null;
        }
        Entry e = entries.get(new EntryKey(dir.ino(), name));
        return e == null ? null : inodes.get(e.ino());
    }

    /** Whether {@code number} is the root of a snapshot of the export whose directory is {@code exportRoot}. */
    public static boolean isSnapshotRoot(long number, long exportRoot) {
        int sid = SnapshotView.snapshotOf(number);
        return sid != 0 && sid != SnapshotDirectory.MARK && (number & SnapshotView.LIVE_MASK) == exportRoot;
    }

    /** The number of the {@code .snapshots} directory of the export whose directory is {@code exportRoot}. */
    public static long snapshotDirectory(long exportRoot) { return SnapshotDirectory.number(exportRoot); }

    /** The number the root of export snapshot {@code s} has in its view. */
    public static long snapshotRoot(ExportSnapshot s) { return SnapshotView.number(s.id(), s.exportRoot()); }

    /** Deletes a file volume's engine snapshot, and the volume too once no file and no snapshot needs it. Under {@link #ns}. */
    void dropSnapshot(UUID volume, String engineName) {
        if (volume == null) {
            return; // the file had no data when the snapshot was taken: nothing was snapshotted
        }
        volumeDeletion.lock(); // the deleter may be deciding about the same volume
        try {
            Volume v = volumesById.get(volume);
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
            Inode live = attributesOrNull(ino);
            if ((live == null || !volume.equals(live.volume())) && v.snapshots().isEmpty()) {
                volumesById.remove(volume);
                deleteQuietly(v);
            }
        } finally {
            volumeDeletion.unlock();
        }
    }

    public enum CloneMode {
        /** Shares the source's blocks until either side overwrites them. */
        LINKED,
        /** Usable at once; its blocks are copied in the background, after which it depends on nothing. */
        FULL
    }

    /**
     * An instant copy of the regular file {@code srcPath} as the new file {@code dstPath} (its
     * directory must exist), through an engine snapshot of the source's volume named
     * {@code nfsclone-<new inode>} and a clone of it. The base snapshot stays while the clone
     * reads through it; the sweep at {@link #open} deletes bases nothing reads through.
     * Crash-safe like create: the clone's volume exists before its inode.
     */
    public Inode cloneFile(String srcPath, String dstPath, CloneMode mode) {
        int slash = dstPath.lastIndexOf('/');
        String name = dstPath.substring(slash + 1);
        checkNewName(name);
        Inode dirInode = resolve(slash <= 0 ? "/" : dstPath.substring(0, slash));
        Inode src = resolve(srcPath);
        if (!src.isRegular()) {
            throw new FsException.Invalid(srcPath + " is not a regular file");
        }
        ns.lock();
        try {
            long dir = directory(dirInode.ino()).ino();
            if (entry(dir, name) != null) {
                throw new FsException.Exists(dstPath);
            }
            src = getattr(src.ino());
            Txn t = new Txn();
            long ino = t.allocateIno();
            if (src.volume() == null) { // never written: the clone is another empty file
                long now = now();
                Inode f = new Inode(ino, newGeneration(), FileType.REGULAR, src.mode(), src.uid(), src.gid(), 1, 0,
                        now, now, now, null, 0, 0, 0, 0, null);
                t.put(f);
                t.addEntry(dir, name, ino);
                t.put(t.get(dir).modified(now));
                t.commit();
                log.info("cloned {} to {} (empty, no volume)", srcPath, dstPath);
                return f;
            }
            Volume from = volume(src);
            io.depot.engine.Snapshot base = from.createSnapshot(ExportSnapshots.CLONE_BASE_PREFIX + hex(ino));
            Volume copy;
            try {
                copy = mode == CloneMode.LINKED ? base.linkedClone(volumeName(ino)) : base.fullClone(volumeName(ino));
            } catch (RuntimeException e) {
                base.delete();
                throw e;
            }
            Inode f = commitClonedFile(t, ino, dir, name, copy, src.mode(), src.uid(), src.gid(), src.size());
            log.info("cloned {} to {} ({}, volume {})", srcPath, dstPath, mode, copy.name());
            return f;
        } catch (EngineException e) {
            throw translate(e);
        } finally {
            endChange();
        }
    }

    /**
     * The namespace half of a file made from a clone: the new inode ({@code ino}, allocated in {@code t}) names
     * {@code copy}, its entry goes into {@code dir}. The volume exists first, so a crash leaves at
     * worst an orphan volume that {@link #open} removes; a failed commit deletes it at once.
     */
    private Inode commitClonedFile(Txn t, long ino, long dir, String name, Volume copy, int mode, int uid, int gid, long size) {
        volumesById.put(copy.uuid(), copy);
        long now = now();
        Inode f = new Inode(ino, newGeneration(), FileType.REGULAR, mode, uid, gid, 1, size, now, now, now, copy.uuid(), 0, 0, 0, 0, null);
        try {
            t.put(f);
            t.addEntry(dir, name, ino);
            t.put(t.get(dir).modified(now));
            t.commit();
        } catch (RuntimeException e) {
            volumesById.remove(copy.uuid());
            deleteQuietly(copy);
            throw e;
        }
        return f;
    }

    /**
     * A new regular file {@code path} whose bytes are a clone of {@code snapshot}, an engine snapshot
     * of any volume (a block volume's, not only a file's): how a volume, a snapshot or a clone gets
     * into the datastore without copying. Missing directories of {@code path} are made. The clone is
     * the file's volume ({@link #volumeName}); the snapshot stays its origin (the engine refuses to
     * delete it) until a {@link CloneMode#FULL} clone's background copy ends. Crash-safe like
     * create: the volume exists before its inode, and {@link #open} removes an orphan.
     */
    public Inode importSnapshot(io.depot.engine.Snapshot snapshot, String path, CloneMode mode) {
        int slash = path.lastIndexOf('/');
        String name = path.substring(slash + 1);
        checkNewName(name);
        Inode dirInode = makeDirectories(slash <= 0 ? "/" : path.substring(0, slash));
        ns.lock();
        try {
            long dir = directory(dirInode.ino()).ino();
            if (entry(dir, name) != null) {
                throw new FsException.Exists(path);
            }
            Txn t = new Txn();
            long ino = t.allocateIno();
            Volume copy = mode == CloneMode.LINKED ? snapshot.linkedClone(volumeName(ino)) : snapshot.fullClone(volumeName(ino));
            Inode f = commitClonedFile(t, ino, dir, name, copy, 0644, 0, 0, snapshot.sizeBytes());
            log.info("imported snapshot {}@{} as {} ({}, volume {})", snapshot.volume().name(), snapshot.name(), path, mode, copy.name());
            return f;
        } catch (EngineException e) {
            throw translate(e);
        } finally {
            endChange(); // the reply waits until the new file is durable
        }
    }

    // ------------------------------------------------------------------ listing and statistics

    @Override
    public DirPage readdir(Caller caller, long dir, long cookie, int maxEntries, boolean withAttributes) {
        Inode d = directory(dir);
        Permissions.require(d, caller, Permissions.READ, "readdir");
        if (cookie < 0 || (cookie >= FIRST_COOKIE && cookie >= d.nextCookie())) {
            throw new FsException.BadCookie("cookie " + cookie + " was never handed out for directory " + dir);
        }
        List<DirEntry> out = new ArrayList<>();
        if (cookie == 0 && out.size() < maxEntries) {
            out.add(new DirEntry(".", d.ino(), 1, withAttributes ? d : null));
        }
        if (cookie <= 1 && out.size() < maxEntries) {
            out.add(new DirEntry("..", d.parent(), 2, withAttributes ? attributesOrNull(d.parent()) : null));
        }
        int room = maxEntries - out.size();
        if (room <= 0) {
            return new DirPage(out, false);
        }
        String after = cookie < FIRST_COOKIE ? null : cookieKey(dir, cookie);
        String prefix = cookiePrefix(dir);
        Map<String, byte[]> page = settings.list(prefix, after, room + 1);
        int taken = 0;
        for (Map.Entry<String, byte[]> e : page.entrySet()) {
            if (taken == room) {
                break;
            }
            ByteBuffer v = ByteBuffer.wrap(e.getValue());
            long child = v.getLong();
            String name = new String(e.getValue(), 8, e.getValue().length - 8, StandardCharsets.UTF_8);
            long c = Long.parseUnsignedLong(e.getKey().substring(prefix.length()), 16);
            out.add(new DirEntry(name, child, c, withAttributes ? attributesOrNull(child) : null));
            taken++;
        }
        return new DirPage(out, page.size() <= room);
    }

    private Inode attributesOrNull(long ino) {
        try {
            return getattr(ino);
        } catch (FsException.Stale e) {
            return null;
        }
    }

    @Override
    public long cookieVerifier(long dir) {
        return getattr(dir).generation() & 0xffff_ffffL; // cookies never go bad: see the class comment
    }

    @Override
    public FsStats fsstat() {
        PoolUsage u = pool.usage();
        long files = 1L << 32;
        long used;
        ns.lock();
        try {
            used = nextIno;
        } finally {
            ns.unlock();
        }
        long free = Math.max(0, u.freeBytes());
        return new FsStats(u.capacityBytes(), free, free, files, Math.max(0, files - used));
    }

    /** Syncs of the namespace log so far; fewer than namespace changes when concurrent ones shared a sync. */
    public long namespaceSyncs() { return durability.syncs(); }

    /** Namespace changes applied so far (each durable before its caller's reply). */
    public long namespaceChanges() { return durability.lastApplied(); }

    /** The lock the volume deleter holds while it deletes; a test holds it to stop the deleter. */
    Lock volumeDeletionLock() { return volumeDeletion; }

    /** Inodes held in memory now; for tests and diagnostics. */
    int cachedInodes() { return inodes.size(); }

    /** Files held open now; for tests and diagnostics. */
    int openFiles() { return files.size(); }

    /** Volumes of open files in use; for tests and diagnostics. */
    public Volume volumeOf(long ino) {
        Inode i = regularFile(ino);
        return volume(i);
    }

    /** Bytes the engine holds for a file (NFS "used"). */
    public long allocatedBytes(Inode i) {
        if (!i.isRegular()) {
            return i.isDirectory() ? DIR_SIZE : 0;
        }
        if (i.volume() == null) {
            return 0;
        }
        try {
            return volume(i).allocatedBytes();
        } catch (FsException | EngineException e) {
            return 0;
        }
    }

    /** Finishes pending volume deletions; makes cached sizes and times durable (flushing their files first). */
    @Override
    public void close() {
        deleter.shutdown();
        try {
            if (!deleter.awaitTermination(5, TimeUnit.MINUTES)) {
                log.warn("volume deletions still running at close; the next start finishes them");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boolean complete = true;
        for (long ino : List.copyOf(dirty)) {
            try {
                Inode i = inodes.get(ino);
                if (i != null && i.isRegular()) {
                    volume(i).flush();
                }
                ns.lock();
                try {
                    persist(ino);
                } finally {
                    endChange();
                }
            } catch (RuntimeException e) {
                complete = false;
                log.warn("could not store the size of file {} at close: {}", ino, e.getMessage());
            }
        }
        if (complete && dirty.isEmpty()) {
            settings.put(CLEAN, new byte[] {1});
        }
    }
}
