package io.depot.nfs.fs;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Where the datastore's namespace lives in the pool's settings, and how its values are encoded.
 *
 * <pre>
 * nfs/next-ino               the next inode number (8 bytes); numbers are never reused
 * nfs/clean                  present while no process has the datastore open (a clean stop)
 * nfs/i/INO                  the inode ({@link Inode#encode})
 * nfs/d/DIR/NAME             a directory entry by name: child inode (8) + cookie (8)
 * nfs/c/DIR/COOKIE           the same entry by cookie: child inode (8) + name (UTF-8)
 * </pre>
 * Inode numbers and cookies are written as 16 hex digits, so that keys sort like numbers.
 */
final class NamespaceKeys {
    static final String NEXT_INO = "nfs/next-ino";
    static final String CLEAN = "nfs/clean";
    static final String INODES = "nfs/i/";

    private NamespaceKeys() {}

    static String hex(long v) {
        String s = Long.toHexString(v);
        return "0".repeat(16 - s.length()) + s;
    }

    static String inodeKey(long ino) { return INODES + hex(ino); }

    /** The inode number a key under {@link #INODES} names. */
    static long inodeOf(String inodeKey) { return Long.parseUnsignedLong(inodeKey.substring(INODES.length()), 16); }

    static String nameKey(long dir, String name) { return "nfs/d/" + hex(dir) + "/" + name; }

    static String namePrefix(long dir) { return "nfs/d/" + hex(dir) + "/"; }

    static String cookiePrefix(long dir) { return "nfs/c/" + hex(dir) + "/"; }

    static String cookieKey(long dir, long cookie) { return cookiePrefix(dir) + hex(cookie); }

    /** The name of the volume that holds file {@code ino}'s bytes. */
    static String volumeName(long ino) { return "nfs." + hex(ino); }

    static byte[] encodeNameEntry(long child, long cookie) {
        return ByteBuffer.allocate(16).putLong(child).putLong(cookie).array();
    }

    static NamespaceCache.Entry decodeNameEntry(byte[] v) {
        ByteBuffer b = ByteBuffer.wrap(v);
        return new NamespaceCache.Entry(b.getLong(), b.getLong());
    }

    static byte[] encodeCookieEntry(long child, String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + n.length).putLong(child).put(n).array();
    }

    static byte[] encodeNextIno(long next) { return ByteBuffer.allocate(8).putLong(next).array(); }
}
