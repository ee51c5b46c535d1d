package io.depot.nfs.fs;

/**
 * The order in which the datastore's locks are taken; a thread holding one may take only those
 * below it, never one above:
 *
 * <ol>
 *   <li>{@link FileVolumes}' creation lock: makes the volume of a file's first data, then names
 *       it in the inode (a namespace change).</li>
 *   <li>an {@link OpenFile}'s data lock (read/write): orders I/O against read-modify-write of
 *       edge sectors and truncation; the size change that follows is a namespace change.</li>
 *   <li>the {@link NamespaceStore} lock: namespace changes and cache fills.</li>
 *   <li>{@link FileVolumes}' deletion lock: orders deleting a removed file's volume against
 *       deleting its last snapshot (which an export snapshot's deletion does under the
 *       namespace lock).</li>
 * </ol>
 * Monitors held only around a few field updates (the open-file table's, an open file's while it
 * grows its volume) are leaves: nothing is taken under them.
 *
 * <p>The checks below are cheap enough for {@code assert} at each place a lock is taken (they
 * cost nothing when assertions are off, as in production; the tests run with them on).
 */
final class LockOrder {
    private LockOrder() {}

    /** May this thread take the volume-creation lock or a file's data lock? Not while it holds the namespace lock. */
    static boolean mayTakeAboveNamespace(NamespaceStore namespace) {
        return !namespace.isHeldByCurrentThread();
    }
}
