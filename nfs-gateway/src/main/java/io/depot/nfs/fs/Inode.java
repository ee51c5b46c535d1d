package io.depot.nfs.fs;

import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * One object of a datastore, immutable: change one by making a copy with the {@code with*}
 * methods. Times are nanoseconds since the epoch. {@code size} is the exact byte size of a
 * regular file (its volume may be larger: see {@link Datastore}); for a symlink the target's
 * length; for a directory a nominal 4096.
 *
 * @param ino         never reused within a datastore; the NFS fileid
 * @param generation  random per inode, part of the file handle
 * @param mode        permission bits (07777)
 * @param volume      the engine volume holding a regular file's bytes; null for other types
 * @param parent      a directory's parent (the root is its own); 0 for other types
 * @param nextCookie  a directory's next entry cookie (see {@link Datastore} on cookies)
 * @param target      a symlink's target; null for other types
 */
public record Inode(long ino, int generation, FileType type, int mode, int uid, int gid, int nlink, long size,
                    long atime, long mtime, long ctime, UUID volume, long parent, long nextCookie,
                    int rdevMajor, int rdevMinor, byte[] target) {
    private static final int FORMAT = 1;

    public Inode withSize(long s) {
        return new Inode(ino, generation, type, mode, uid, gid, nlink, s, atime, mtime, ctime, volume, parent, nextCookie, rdevMajor, rdevMinor, target);
    }

    public Inode withMode(int m) {
        return new Inode(ino, generation, type, m & 07777, uid, gid, nlink, size, atime, mtime, ctime, volume, parent, nextCookie, rdevMajor, rdevMinor, target);
    }

    public Inode withOwner(int u, int g) {
        return new Inode(ino, generation, type, mode, u, g, nlink, size, atime, mtime, ctime, volume, parent, nextCookie, rdevMajor, rdevMinor, target);
    }

    public Inode withNlink(int n) {
        return new Inode(ino, generation, type, mode, uid, gid, n, size, atime, mtime, ctime, volume, parent, nextCookie, rdevMajor, rdevMinor, target);
    }

    public Inode withTimes(long a, long m, long c) {
        return new Inode(ino, generation, type, mode, uid, gid, nlink, size, a, m, c, volume, parent, nextCookie, rdevMajor, rdevMinor, target);
    }

    /** Contents changed: mtime and ctime. */
    public Inode modified(long now) { return withTimes(atime, now, now); }

    /** Attributes changed: ctime. */
    public Inode changed(long now) { return withTimes(atime, mtime, now); }

    public Inode withVolume(UUID v) {
        return new Inode(ino, generation, type, mode, uid, gid, nlink, size, atime, mtime, ctime, v, parent, nextCookie, rdevMajor, rdevMinor, target);
    }

    public Inode withParent(long p) {
        return new Inode(ino, generation, type, mode, uid, gid, nlink, size, atime, mtime, ctime, volume, p, nextCookie, rdevMajor, rdevMinor, target);
    }

    public Inode withNextCookie(long c) {
        return new Inode(ino, generation, type, mode, uid, gid, nlink, size, atime, mtime, ctime, volume, parent, c, rdevMajor, rdevMinor, target);
    }

    /** The same object under other numbers (a snapshot's objects are numbered apart from the live ones). */
    public Inode renumbered(long newIno, long newParent) {
        return new Inode(newIno, generation, type, mode, uid, gid, nlink, size, atime, mtime, ctime, volume, newParent, nextCookie, rdevMajor, rdevMinor, target);
    }

    public boolean isDirectory() { return type == FileType.DIRECTORY; }

    public boolean isRegular() { return type == FileType.REGULAR; }

    /** Compact binary form, stored in the pool's settings. */
    public byte[] encode() {
        int t = target == null ? 0 : target.length;
        ByteBuffer b = ByteBuffer.allocate(2 + 4 * 6 + 8 * 4 + 1 + 16 + 8 * 2 + 4 * 2 + 4 + t);
        b.put((byte) FORMAT).put((byte) type.code());
        b.putInt(generation).putInt(mode).putInt(uid).putInt(gid).putInt(nlink);
        b.putLong(size).putLong(atime).putLong(mtime).putLong(ctime);
        b.put((byte) (volume == null ? 0 : 1));
        b.putLong(volume == null ? 0 : volume.getMostSignificantBits()).putLong(volume == null ? 0 : volume.getLeastSignificantBits());
        b.putLong(parent).putLong(nextCookie);
        b.putInt(rdevMajor).putInt(rdevMinor);
        b.putInt(t);
        if (target != null) {
            b.put(target);
        }
        b.putInt(0); // spare, so a later field can be added without a format change
        return b.array();
    }

    public static Inode decode(long ino, byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int format = b.get();
        if (format != FORMAT) {
            throw new IllegalStateException("inode " + ino + " has unknown format " + format);
        }
        FileType type = FileType.ofCode(b.get());
        int generation = b.getInt(), mode = b.getInt(), uid = b.getInt(), gid = b.getInt(), nlink = b.getInt();
        long size = b.getLong(), atime = b.getLong(), mtime = b.getLong(), ctime = b.getLong();
        boolean hasVolume = b.get() != 0;
        long msb = b.getLong(), lsb = b.getLong();
        long parent = b.getLong(), nextCookie = b.getLong();
        int major = b.getInt(), minor = b.getInt();
        int t = b.getInt();
        byte[] target = null;
        if (type == FileType.SYMLINK) {
            target = new byte[t];
            b.get(target);
        }
        return new Inode(ino, generation, type, mode, uid, gid, nlink, size, atime, mtime, ctime,
                hasVolume ? new UUID(msb, lsb) : null, parent, nextCookie, major, minor, target);
    }
}
