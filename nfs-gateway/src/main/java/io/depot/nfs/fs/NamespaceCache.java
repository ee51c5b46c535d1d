package io.depot.nfs.fs;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The inodes and directory entries held in memory. Entries are filled and changed only under the
 * namespace lock (by commits, and by reads that take it), so an entry here is never older than
 * the store's, and lock-free readers (the event-loop fast path) may trust it. Names that do not
 * exist are not cached.
 *
 * <p>An inode is <em>dirty</em> when its cached size and mtime are newer than the stored ones
 * (a write extended the file); a dirty inode is never evicted until it is stored.
 */
final class NamespaceCache {
    /** A directory entry: the child's inode and the entry's cookie. */
    record Entry(long ino, long cookie) {}

    record EntryKey(long dir, String name) {}

    /** Inodes whose cached size/mtime is newer than the stored one; never evicted from {@link #inodes}. */
    private final Set<Long> dirty = ConcurrentHashMap.newKeySet();
    private final BoundedCache<Long, Inode> inodes;
    private final BoundedCache<EntryKey, Entry> entries;

    NamespaceCache(int capacity) {
        this.inodes = new BoundedCache<>(capacity, i -> dirty.contains(i.ino()));
        this.entries = new BoundedCache<>(capacity, e -> false);
    }

    /** The cached inode, or null; never blocks on the store. */
    Inode inode(long ino) { return inodes.get(ino); }

    void putInode(Inode i) { inodes.put(i.ino(), i); }

    /** The cached entry, or null (not cached, or no such name). */
    Entry entry(EntryKey k) { return entries.get(k); }

    void putEntry(EntryKey k, Entry e) { entries.put(k, e); }

    /** A written inode whose new size and mtime only memory knows so far. */
    void putDirty(Inode i) {
        inodes.put(i.ino(), i);
        dirty.add(i.ino());
    }

    /** Whether {@code ino} was dirty; it is not any more (the caller stores it, or puts it back with {@link #markDirty}). */
    boolean takeDirty(long ino) { return dirty.remove(ino); }

    void markDirty(long ino) { dirty.add(ino); }

    List<Long> dirtyInodes() { return List.copyOf(dirty); }

    boolean hasDirty() { return !dirty.isEmpty(); }

    /** Brings the caches in line with a committed change: stored inodes, removed inodes, entries added or removed (null). */
    void committed(Map<Long, Inode> puts, Set<Long> deletes, Map<EntryKey, Entry> entryChanges) {
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

    int size() { return inodes.size(); }
}
