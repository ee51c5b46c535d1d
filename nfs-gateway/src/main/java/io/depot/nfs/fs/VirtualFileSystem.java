package io.depot.nfs.fs;

import java.nio.ByteBuffer;

/**
 * The file operations NFSv3 needs, in file-system terms, so that the protocol program only
 * translates. Objects are named by inode number; a missing one is {@link FsException.Stale}.
 * Names are single path components. Every method checks the caller's permissions and throws an
 * {@link FsException} subclass when refused; nothing else escapes but engine bugs.
 */
public interface VirtualFileSystem {
    /** The attributes of {@code ino}; Stale if it no longer exists or its generation differs. */
    Inode getattr(long ino, int generation);

    Inode getattr(long ino);

    /** The inode of a directory path from the root ("/" is the root), creating none. */
    Inode resolve(String path);

    /** The object named {@code name} in {@code dir}; "." and ".." work. */
    Inode lookup(Caller caller, long dir, String name);

    /**
     * Changes attributes; with a {@code guardCtime} the change happens only if the object's ctime
     * still equals it (NotSync otherwise). A size change truncates or extends a regular file.
     */
    Change setattr(Caller caller, long ino, SetAttributes attributes, Long guardCtime);

    byte[] readlink(Caller caller, long ino);

    /**
     * Up to {@code count} bytes at {@code offset}: fewer at end of file. The bytes are read into
     * {@code dst} (from its position 0, which must have room for {@link #readRoom}{@code (count)}
     * bytes: reads are made of whole sectors); the result's data is a view of {@code dst} whose
     * position and limit delimit the bytes read. So the caller chooses the buffer (a pooled
     * direct one that goes to the socket as it is) and nothing is copied on the way.
     */
    ReadResult read(Caller caller, long ino, long offset, int count, ByteBuffer dst);

    /**
     * What {@link #read} would return, as a plan of the pool's data file for a zero-copy send; null
     * when {@link #read} should answer instead (nothing to send from a file, bytes not in the page
     * cache, a tree that does not plan). Errors are thrown as by {@link #read}.
     */
    default PlannedRead plan(Caller caller, long ino, long offset, int count) {
        return null;
    }

    /** Up to {@code count} bytes at {@code offset} in a buffer of their own. */
    default ReadResult read(Caller caller, long ino, long offset, int count) {
        if (count < 0) {
            throw new FsException.Invalid("count " + count);
        }
        return read(caller, ino, offset, count, ByteBuffer.allocate(readRoom(count)));
    }

    /** The room {@link #read(Caller, long, long, int, ByteBuffer)} needs for {@code count} bytes: two partial sectors more. */
    static int readRoom(int count) {
        return count + 2 * Datastore.SECTOR;
    }

    /** Writes all of {@code data} at {@code offset}, extending the file if needed. */
    WriteResult write(Caller caller, long ino, long offset, ByteBuffer data, Stability stability);

    /** Makes every write to {@code ino} so far durable, with the file's metadata. */
    Change commit(long ino);

    enum CreateMode { UNCHECKED, GUARDED, EXCLUSIVE }

    /**
     * Creates a regular file. UNCHECKED on an existing regular file applies {@code attributes}
     * (a size 0 truncates); GUARDED fails with Exists; EXCLUSIVE stores {@code verifier} so that a
     * retransmitted create of the same file succeeds (RFC 1813 §3.3.8).
     */
    Created create(Caller caller, long dir, String name, SetAttributes attributes, CreateMode mode, long verifier);

    Created mkdir(Caller caller, long dir, String name, SetAttributes attributes);

    Created symlink(Caller caller, long dir, String name, byte[] target, SetAttributes attributes);

    /** A socket or FIFO; devices and any other type are BadType. */
    Created mknod(Caller caller, long dir, String name, FileType type, int major, int minor, SetAttributes attributes);

    /** Removes a non-directory entry; the file goes with its last link. */
    Change remove(Caller caller, long dir, String name);

    Change rmdir(Caller caller, long dir, String name);

    /** Renames atomically, replacing a compatible existing target (POSIX rename semantics). */
    Renamed rename(Caller caller, long fromDir, String fromName, long toDir, String toName);

    Linked link(Caller caller, long ino, long dir, String name);

    /**
     * Up to {@code maxEntries} entries after {@code cookie} (0: from the start; "." and ".." come
     * first with cookies 1 and 2), with attributes when {@code withAttributes}.
     */
    DirPage readdir(Caller caller, long dir, long cookie, int maxEntries, boolean withAttributes);

    /** A directory's cookie verifier: cookies handed out with one verifier stay valid while it does not change. */
    long cookieVerifier(long dir);

    FsStats fsstat();
}
