package io.depot.nfs.fs;

/** The kinds of object a datastore holds; the codes are NFSv3's ftype3 (RFC 1813 §2.6). */
public enum FileType {
    REGULAR(1), DIRECTORY(2), BLOCK_DEVICE(3), CHAR_DEVICE(4), SYMLINK(5), SOCKET(6), FIFO(7);

    private final int code;

    FileType(int code) {
        this.code = code;
    }

    public int code() { return code; }

    /** The type with ftype3 {@code code}, or null. */
    public static FileType ofCode(int code) {
        for (FileType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
