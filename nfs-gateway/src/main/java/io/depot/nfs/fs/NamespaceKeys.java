package io.depot.nfs.fs;

import io.depot.engine.CatalogNamespace;
import io.depot.engine.Pool;
import io.depot.engine.VolumeOwner;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Where the datastore's namespace lives in the pool's catalog (namespace {@value #NAMESPACE}),
 * and how its values are encoded.
 *
 * <pre>
 * next-ino               the next inode number (8 bytes); numbers are never reused
 * clean                  present while no process has the datastore open (a clean stop)
 * i/INO                  the inode ({@link Inode#encode})
 * d/DIR/NAME             a directory entry by name: child inode (8) + cookie (8)
 * c/DIR/COOKIE           the same entry by cookie: child inode (8) + name (UTF-8)
 * </pre>
 * Inode numbers and cookies are written as 16 hex digits, so that keys sort like numbers. The
 * catalog stores namespace key {@code k} where the legacy setting {@code nfs/k} was, so pools
 * written before the catalog read unchanged.
 */
public final class NamespaceKeys {
    /** The catalog namespace of everything the NFS gateway stores. */
    public static final String NAMESPACE = "nfs";
    static final String NEXT_INO = "next-ino";
    static final String CLEAN = "clean";
    static final String INODES = "i/";

    private NamespaceKeys() {}

    /** The gateway's records in {@code pool}'s catalog. */
    public static CatalogNamespace<byte[]> of(Pool pool) { return pool.catalog().namespace(NAMESPACE); }

    static String hex(long v) {
        String s = Long.toHexString(v);
        return "0".repeat(16 - s.length()) + s;
    }

    static String inodeKey(long ino) { return INODES + hex(ino); }

    /** The inode number a key under {@link #INODES} names. */
    static long inodeOf(String inodeKey) { return Long.parseUnsignedLong(inodeKey.substring(INODES.length()), 16); }

    static String nameKey(long dir, String name) { return "d/" + hex(dir) + "/" + name; }

    static String namePrefix(long dir) { return "d/" + hex(dir) + "/"; }

    static String cookiePrefix(long dir) { return "c/" + hex(dir) + "/"; }

    static String cookieKey(long dir, long cookie) { return cookiePrefix(dir) + hex(cookie); }

    /**
     * The owner of every volume holding a file's bytes: the datastore, named by its catalog
     * namespace (a pool holds one). What tells a file volume from a user's, never its name.
     */
    static final VolumeOwner FILE_VOLUME_OWNER = VolumeOwner.nfsFile(NAMESPACE);

    /** The name of the volume that holds file {@code ino}'s bytes (unique; says nothing about ownership). */
    static String volumeName(long ino) { return VOLUME_NAME_PREFIX + hex(ino); }

    private static final String VOLUME_NAME_PREFIX = "nfs.";

    /** Whether {@code name} has the form of {@link #volumeName}. */
    static boolean isVolumeName(String name) {
        if (name.length() != VOLUME_NAME_PREFIX.length() + 16 || !name.startsWith(VOLUME_NAME_PREFIX)) {
            return false;
        }
        for (int i = VOLUME_NAME_PREFIX.length(); i < name.length(); i++) {
            char c = name.charAt(i);
            if ((c < '0' || c > '9') && (c < 'a' || c > 'f')) {
                return false;
            }
        }
        return true;
    }

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
