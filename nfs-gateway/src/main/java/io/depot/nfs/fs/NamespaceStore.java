package io.depot.nfs.fs;

import static io.depot.nfs.fs.NamespaceKeys.cookieKey;
import static io.depot.nfs.fs.NamespaceKeys.cookiePrefix;
import static io.depot.nfs.fs.NamespaceKeys.inodeKey;
import static io.depot.nfs.fs.NamespaceKeys.nameKey;

import io.depot.engine.EngineException;
import io.depot.engine.CachedValue;
import io.depot.engine.CatalogNamespace;
import io.depot.nfs.fs.NamespaceCache.Entry;
import io.depot.nfs.fs.NamespaceCache.EntryKey;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The directory tree as stored ({@link NamespaceKeys}): reads through the {@link NamespaceCache},
 * and atomic changes ({@link Txn}) made under the namespace lock and made durable by the
 * {@link NamespaceLog}.
 *
 * <p>Every namespace change is one atomic apply. A directory hands each new entry the next
 * number of its own counter as cookie, so a listing resumed after a cookie keeps its place
 * whatever is added or removed meanwhile; the cookie verifier never needs to change.
 *
 * <p>The lock serialises namespace changes and cache fills; see {@link LockOrder} for what may
 * be held when it is taken. A change ends with {@link #endChange}, which releases the lock and
 * then waits until the change is durable, so concurrent callers share one commit.
 */
final class NamespaceStore {
    /** How long an event loop waits for the namespace lock before leaving a change to a worker. */
    private static final long FAST_LOCK_WAIT_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

    /** The datastore's records in the pool's catalog; changed only through {@link #log}. */
    private final CatalogNamespace<byte[]> records;
    private final NamespaceLog log;
    private final NamespaceCache cache;
    private final ReentrantLock lock = new ReentrantLock();
    /** Guarded by {@link #lock}. */
    private long nextIno;

    NamespaceStore(CatalogNamespace<byte[]> records, NamespaceLog log, NamespaceCache cache) {
        this.records = records;
        this.log = log;
        this.cache = cache;
    }

    NamespaceLog log() { return log; }

    NamespaceCache cache() { return cache; }

    // ------------------------------------------------------------------ opening

    /** Whether the last process closed the datastore; from now on a crash is not a clean stop. */
    boolean takeCleanMark() {
        boolean clean = records.get(NamespaceKeys.CLEAN) != null;
        if (clean) {
            Map<String, byte[]> unmark = new HashMap<>();
            unmark.put(NamespaceKeys.CLEAN, null);
            log.applyDurably(unmark); // durable before any write
        }
        return clean;
    }

    /** Marks a clean stop: every cached size is stored and nothing is open. */
    void markClean() {
        log.applyDurably(Map.of(NamespaceKeys.CLEAN, new byte[] {1}));
    }

    /** Reads the inode counter and makes the root directory if there is none; whether it made one. */
    boolean createRootIfMissing() {
        byte[] n = records.get(NamespaceKeys.NEXT_INO);
        nextIno = n == null ? Datastore.ROOT + 1 : ByteBuffer.wrap(n).getLong();
        if (records.get(inodeKey(Datastore.ROOT)) != null) {
            return false;
        }
        long now = now();
        Inode root = new Inode(Datastore.ROOT, newGeneration(), FileType.DIRECTORY, 0755, 0, 0, 2, Datastore.DIR_SIZE,
                now, now, now, null, Datastore.ROOT, Datastore.FIRST_COOKIE, 0, 0, null);
        Txn t = new Txn();
        t.put(root);
        t.commit();
        return true;
    }

    /** Every stored inode, in number order (the recovery sweep); raises the counter past the largest. */
    void forEachStoredInode(Consumer<Inode> each) {
        long maxIno = Datastore.ROOT;
        String after = null;
        while (true) {
            Map<String, byte[]> page = records.list(NamespaceKeys.INODES, after, 4096);
            if (page.isEmpty()) {
                break;
            }
            for (Map.Entry<String, byte[]> e : page.entrySet()) {
                long ino = NamespaceKeys.inodeOf(e.getKey());
                maxIno = Math.max(maxIno, ino);
                each.accept(Inode.decode(ino, e.getValue()));
                after = e.getKey();
            }
        }
        nextIno = Math.max(nextIno, maxIno + 1);
    }

    /** Inode numbers handed out so far (plus one); for FSSTAT. */
    long nextIno() {
        lock();
        try {
            return nextIno;
        } finally {
            unlock();
        }
    }

    // ------------------------------------------------------------------ the lock

    void lock() { lock.lock(); }

    void unlock() { lock.unlock(); }

    boolean isHeldByCurrentThread() { return lock.isHeldByCurrentThread(); }

    /**
     * Takes the lock for an event loop: waits at most {@link #FAST_LOCK_WAIT_NANOS}, about what
     * another fast change holds it for (two event loops often want it at once), so that a busy
     * lock costs less than handing the call to a worker; false when held longer (a worker's change).
     */
    boolean lockWithoutBlocking() {
        try {
            return lock.tryLock(FAST_LOCK_WAIT_NANOS, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Releases the lock and waits until every change applied so far is durable, the caller's
     * included: what a reply reports is on stable storage before it is sent (RFC 1813 §4.7).
     * The wait happens outside the lock, so changes of concurrent callers share one commit.
     */
    void endChange() {
        long owed = log.lastTicket();
        lock.unlock();
        if (lock.isHeldByCurrentThread()) {
            return; // an outer change of this thread waits when it ends
        }
        awaitDurable(owed);
    }

    /**
     * Releases the lock without waiting for durability: for a SETATTR that changes no size (mode,
     * owner, times). RFC 1813 §1.6 names the procedures a server must make durable before replying
     * (WRITE FILE_SYNC, CREATE, MKDIR, SYMLINK, MKNOD, REMOVE, RMDIR, RENAME, LINK, COMMIT);
     * SETATTR is not one of them, and the Linux client sends one after every exclusive CREATE, so
     * waiting for it would cost that create a second commit. The change is visible at once and
     * durable with the next commit, within {@link NamespaceLog#COMMIT_SOON_NANOS} plus one commit
     * (see {@link NamespaceLog#commitSoon}); a crash in between loses only these attributes.
     */
    void endChangeSoon() {
        long owed = log.lastTicket();
        lock.unlock();
        if (lock.isHeldByCurrentThread()) {
            return; // an outer change of this thread waits when it ends
        }
        log.commitSoon(owed);
    }

    private void awaitDurable(long ticket) {
        try {
            log.awaitDurable(ticket);
        } catch (EngineException e) {
            throw EngineErrors.translate(e);
        }
    }

    // ------------------------------------------------------------------ reads

    /** The attributes of {@code ino}, from the cache or the store; Stale if there is no such inode. */
    Inode getattr(long ino) {
        Inode i = cache.inode(ino);
        if (i != null) {
            return i;
        }
        lock.lock();
        try {
            i = cache.inode(ino);
            if (i == null) {
                byte[] b = records.get(inodeKey(ino));
                if (b == null) {
                    throw new FsException.Stale("inode " + ino + " does not exist");
                }
                i = Inode.decode(ino, b);
                cache.putInode(i);
            }
            return i;
        } finally {
            lock.unlock();
        }
    }

    Inode attributesOrNull(long ino) {
        try {
            return getattr(ino);
        } catch (FsException.Stale e) {
            return null;
        }
    }

    /** The entry {@code name} of {@code dir}, or null if there is none. */
    Entry entry(long dir, String name) {
        EntryKey k = new EntryKey(dir, name);
        Entry e = cache.entry(k);
        if (e != null) {
            return e;
        }
        lock.lock(); // a read outside the lock could cache an entry a commit is removing
        try {
            e = cache.entry(k);
            if (e == null) {
                byte[] v = records.get(nameKey(dir, name));
                if (v == null) {
                    return null;
                }
                e = NamespaceKeys.decodeNameEntry(v);
                cache.putEntry(k, e);
            }
            return e;
        } finally {
            lock.unlock();
        }
    }

    /** Up to {@code limit} entries of {@code dir} by cookie after {@code cookie} (below {@link Datastore#FIRST_COOKIE}: from the first). */
    Map<String, byte[]> entriesByCookie(long dir, long cookie, int limit) {
        String after = cookie < Datastore.FIRST_COOKIE ? null : cookieKey(dir, cookie);
        return records.list(cookiePrefix(dir), after, limit);
    }

    boolean isEmpty(long dir) {
        return records.list(cookiePrefix(dir), null, 1).isEmpty();
    }

    /**
     * Where a namespace change reads the inodes and entries it needs: {@link #storeReads} from the
     * caches or the store, {@link #memoryReads} from memory only, throwing {@link WouldBlock} where
     * only a disk read could tell (an event loop then leaves the call to a worker).
     */
    interface Reads {
        Inode inode(long ino);

        Entry entry(long dir, String name);
    }

    final Reads storeReads = new Reads() {
        @Override
        public Inode inode(long ino) { return getattr(ino); }

        @Override
        public Entry entry(long dir, String name) { return NamespaceStore.this.entry(dir, name); }
    };

    final Reads memoryReads = new Reads() {
        @Override
        public Inode inode(long ino) {
            Inode i = cache.inode(ino);
            if (i == null) {
                throw WouldBlock.INSTANCE;
            }
            return i;
        }

        @Override
        public Entry entry(long dir, String name) { // under the lock, so what the store says is what the cache would
            EntryKey k = new EntryKey(dir, name);
            Entry e = cache.entry(k);
            if (e != null) {
                return e;
            }
            CachedValue<byte[]> c = records.getCached(nameKey(dir, name));
            if (c == null) {
                throw WouldBlock.INSTANCE;
            }
            if (c.value() == null) {
                return null;
            }
            e = NamespaceKeys.decodeNameEntry(c.value());
            cache.putEntry(k, e);
            return e;
        }
    };

    /** A change made from memory would have to wait: nothing was changed. Thrown only under {@link #memoryReads}. */
    static final class WouldBlock extends RuntimeException {
        static final WouldBlock INSTANCE = new WouldBlock();

        private WouldBlock() { super("would block", null, false, false); }
    }

    // ------------------------------------------------------------------ changes

    /**
     * Stores the cached inode if it is newer than the stored one. Under the lock; durable once
     * the caller's {@link #endChange} returns.
     */
    void persist(long ino) {
        if (cache.takeDirty(ino)) {
            Inode i = cache.inode(ino);
            if (i == null) {
                return;
            }
            try {
                Map<String, byte[]> change = new HashMap<>();
                change.put(inodeKey(ino), i.encode());
                log.apply(change);
            } catch (RuntimeException e) {
                cache.markDirty(ino);
                throw e;
            }
        }
    }

    /**
     * Stores the cached inode if it is newer than the stored one, and returns once that and every
     * volume write completed so far are durable: one commit for a file's data, mappings and
     * size (COMMIT, close).
     */
    void persistDurably(long ino) {
        long owed;
        lock.lock();
        try {
            persist(ino);
            owed = log.ticketForAll();
        } finally {
            lock.unlock();
        }
        if (lock.isHeldByCurrentThread()) {
            return; // an outer change of this thread waits when it ends
        }
        awaitDurable(owed);
    }

    static long now() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    static int newGeneration() {
        int g;
        do {
            g = ThreadLocalRandom.current().nextInt();
        } while (g == 0);
        return g;
    }

    /** One atomic namespace change: inode writes and deletes, entry additions and removals. */
    final class Txn {
        private final Map<String, byte[]> changes = new LinkedHashMap<>();
        private final Map<Long, Inode> puts = new LinkedHashMap<>();
        private final Set<Long> deletes = new HashSet<>();
        private final Map<EntryKey, Entry> entryChanges = new LinkedHashMap<>(); // null: removed
        private boolean inoUsed;

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
            changes.put(nameKey(dir, name), NamespaceKeys.encodeNameEntry(child, cookie));
            changes.put(cookieKey(dir, cookie), NamespaceKeys.encodeCookieEntry(child, name));
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
                changes.put(NamespaceKeys.NEXT_INO, NamespaceKeys.encodeNextIno(nextIno));
            }
            if (how == memoryReads) {
                if (log.tryApply(changes) == NamespaceLog.NOT_APPLIED) {
                    throw WouldBlock.INSTANCE;
                }
            } else {
                log.apply(changes);
            }
            cache.committed(puts, deletes, entryChanges);
        }
    }
}
