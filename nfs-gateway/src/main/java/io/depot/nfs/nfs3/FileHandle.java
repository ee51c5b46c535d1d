package io.depot.nfs.nfs3;

import java.nio.ByteBuffer;

/**
 * An NFSv3 file handle: format byte, export id, inode number, generation (17 bytes). Derived
 * from stored values only, so it stays valid across restarts; an inode number is never reused,
 * and the generation catches a handle from another datastore that happens to share one.
 */
record FileHandle(int exportId, long ino, int generation) {
    private static final byte FORMAT = 1;
    static final int LENGTH = 17;

    byte[] encode() {
        return ByteBuffer.allocate(LENGTH).put(FORMAT).putInt(exportId).putLong(ino).putInt(generation).array();
    }

    /** The handle in {@code bytes}, or null when they are not one of ours (NFS3ERR_BADHANDLE). */
    static FileHandle decode(byte[] bytes) {
        if (bytes.length != LENGTH || bytes[0] != FORMAT) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, 1, LENGTH - 1);
        return new FileHandle(b.getInt(), b.getLong(), b.getInt());
    }
}
