package io.depot.engine.core;

import java.nio.ByteBuffer;

/**
 * Metadata key layout. One prefix byte, then big-endian fields so that keys sort numerically.
 *
 * <pre>
 * P                                   pool record
 * V vol                               volume record
 * S vol epoch                         snapshot record (epoch = the volume epoch it froze)
 * M vol cluster birth                 mapping: cluster of vol, born at epoch birth -> MappingValue
 * D vol death cluster birth           deadlist: mapping (vol,cluster,birth) replaced at epoch death
 *                                     but still visible to a snapshot; value = MappingValue
 * R vol                               volume deleted, clusters still being reclaimed
 * O vol page                          open mapping page: head clusters of page (1024 clusters) may be overwritten
 *                                     in place with CRCs newer than the stored ones (recomputed after a crash)
 * C namespace/key (UTF-8)             a catalog record of the layers above (NFS namespace, targets, reservations)
 * </pre>
 *
 * The deadlist is ordered by death epoch so that deleting a snapshot only visits the mappings
 * that died between it and the next snapshot: cost proportional to what it may free.
 */
public final class Keys {
    public static final byte POOL = 'P';
    public static final byte VOLUME = 'V';
    public static final byte SNAPSHOT = 'S';
    public static final byte MAPPING = 'M';
    public static final byte DEAD = 'D';
    public static final byte RECLAIM = 'R';
    public static final byte SETTING = 'C';
    public static final byte OPEN = 'O';

    private Keys() {}

    public static byte[] pool() { return new byte[] {POOL}; }

    public static byte[] volume(long vol) { return ByteBuffer.allocate(9).put(VOLUME).putLong(vol).array(); }

    public static byte[] reclaim(long vol) { return ByteBuffer.allocate(9).put(RECLAIM).putLong(vol).array(); }

    public static byte[] open(long vol, long page) {
        return ByteBuffer.allocate(17).put(OPEN).putLong(vol).putLong(page).array();
    }

    public static byte[] snapshot(long vol, long epoch) {
        return ByteBuffer.allocate(17).put(SNAPSHOT).putLong(vol).putLong(epoch).array();
    }

    public static byte[] mapping(long vol, long cluster, long birth) {
        return ByteBuffer.allocate(25).put(MAPPING).putLong(vol).putLong(cluster).putLong(birth).array();
    }

    public static byte[] dead(long vol, long death, long cluster, long birth) {
        return ByteBuffer.allocate(33).put(DEAD).putLong(vol).putLong(death).putLong(cluster).putLong(birth).array();
    }

    public static byte[] setting(String name) {
        byte[] n = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + n.length).put(SETTING).put(n).array();
    }

    /** The smallest key with this prefix and these leading fields. */
    public static byte[] prefix(byte type, long... fields) {
        ByteBuffer b = ByteBuffer.allocate(1 + 8 * fields.length).put(type);
        for (long f : fields) {
            b.putLong(f);
        }
        return b.array();
    }

    /** The first key after every key that starts with {@code prefix(type, fields)}. */
    public static byte[] prefixEnd(byte type, long... fields) {
        if (fields.length == 0) {
            return new byte[] {(byte) (type + 1)};
        }
        long[] next = fields.clone();
        next[next.length - 1]++;
        return prefix(type, next);
    }

    /** Reads the big-endian long at {@code index} (counting after the prefix byte). */
    public static long field(byte[] key, int index) {
        return ByteBuffer.wrap(key, 1 + 8 * index, 8).getLong();
    }
}
