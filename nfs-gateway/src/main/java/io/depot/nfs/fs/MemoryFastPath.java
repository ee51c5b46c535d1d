package io.depot.nfs.fs;

import io.depot.nfs.fs.VirtualFileSystem.CreateMode;
import java.nio.ByteBuffer;

/**
 * The datastore's operations that never block, for answering on an event loop: each answers from
 * memory, or declines (null) having changed nothing, and the ordinary {@link VirtualFileSystem}
 * call then answers on a worker, errors included. Same checks, same results as the ordinary calls.
 *
 * <p>A change made here ({@link #tryCreate}, {@link #tryRemove}) is visible at once but may be
 * reported only once {@link #whenDurable} says its ticket is durable.
 */
public interface MemoryFastPath {
    /** A change made without blocking: visible already, to be reported once {@code ticket} is durable. */
    record Pending<T>(T result, long ticket) {}

    /** Told once a change is durable ({@code true}) or once the sync meant to make it so failed ({@code false}). */
    @FunctionalInterface
    interface Durable {
        void done(boolean durable);
    }

    /** The attributes of live object {@code ino} if they are in memory, else null (no lock, no store read). */
    Inode cachedAttributes(long ino);

    /**
     * LOOKUP of {@code name} in live directory {@code dir} from memory, or null when that cannot
     * be answered without blocking (entry or attributes not cached, no search permission, a name
     * the checks refuse).
     */
    Inode cachedLookup(Caller caller, Inode dir, String name);

    /**
     * READ from memory, or null when that could wait or would fail: attributes or open file not
     * cached, the file's or the volume's locks taken, mapping pages or bytes not in memory (the
     * OS page cache), a clone reading through its origin, any error. The same checks, locks
     * (tried, not waited for) and bytes as {@link VirtualFileSystem#read}.
     */
    ReadResult readFromMemory(Caller caller, long ino, long offset, int count, ByteBuffer dst);

    /**
     * {@link #readFromMemory} as a plan for a zero-copy send (see {@link VirtualFileSystem#plan}),
     * or null when that declines or there is nothing to plan (an empty read).
     */
    PlannedRead planFromMemory(Caller caller, long ino, long offset, int count);

    /**
     * An UNSTABLE WRITE from memory, or null when that could wait, would do more than overwrite
     * the file's own data in place (extend it, allocate, copy on write), or would fail: the same
     * checks and result as {@link VirtualFileSystem#write}. The bytes may have been written when it
     * declines (then the ordinary write writes them again).
     */
    WriteResult tryWrite(Caller caller, long ino, long offset, ByteBuffer data);

    /**
     * SETATTR of anything but the size from memory, or null having changed nothing when that would
     * have to wait (as {@link #tryCreate}) or SETATTR would fail.
     */
    Pending<Change> trySetattr(Caller caller, long ino, SetAttributes attributes, Long guardCtime);

    /**
     * CREATE from memory, or null having changed nothing when that would have to wait (the
     * namespace lock is busy beyond a short wait, an entry or inode is not in memory, the store
     * throttles writers), when the attributes carry a size, or when create would fail.
     */
    Pending<Created> tryCreate(Caller caller, long dir, String name, SetAttributes attributes, CreateMode how, long verifier);

    /**
     * REMOVE from memory, or null having changed nothing when that would have to wait (as
     * {@link #tryCreate}), when the file has a volume to delete, or when remove would fail.
     */
    Pending<Change> tryRemove(Caller caller, long dir, String name);

    /**
     * Calls {@code done} once change {@code ticket} of a {@link Pending} is durable: at once on
     * this thread if it already is, else on the syncing thread (so {@code done} must only hand
     * work on, e.g. to an event loop).
     */
    void whenDurable(long ticket, Durable done);

    /** Makes change {@code ticket} durable soon, no one waiting: for a SETATTR answered before its commit. */
    void commitSoon(long ticket);
}
