package io.depot.nfs.fs;

/**
 * Attributes to change (RFC 1813 §2.6 sattr3): a null field is left as it is. Times are
 * nanoseconds since the epoch, or {@link #SERVER_TIME} for "now, by the server's clock".
 */
public record SetAttributes(Integer mode, Integer uid, Integer gid, Long size, Long atime, Long mtime) {
    public static final long SERVER_TIME = Long.MIN_VALUE;
    public static final SetAttributes NONE = new SetAttributes(null, null, null, null, null, null);

    public static SetAttributes mode(int mode) {
        return new SetAttributes(mode, null, null, null, null, null);
    }

    public static SetAttributes size(long size) {
        return new SetAttributes(null, null, null, size, null, null);
    }

    public boolean isEmpty() {
        return mode == null && uid == null && gid == null && size == null && atime == null && mtime == null;
    }
}
