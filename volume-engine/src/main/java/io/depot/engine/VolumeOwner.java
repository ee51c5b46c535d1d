package io.depot.engine;

import java.util.Objects;

/**
 * Who a volume belongs to, stored with the volume: so the layers above can tell their own volumes from
 * the ones an administrator made without reading anything into a volume's name.
 *
 * <p>A volume made through the API is {@link #USER}'s. A layer that makes volumes for its own use
 * (the NFS datastore's file volumes, a future replication target) sets its kind at creation and may
 * name the thing it belongs to in {@link #ref()} (a datastore id, a replication source). A LUN is not an
 * owner: a LUN maps a user volume. The owner is set at creation (and changed only by
 * {@link Volume#setOwner}, a layer adopting what an older build made for it), survives reopen, and a clone gets
 * the owner it is created with (a user's unless asked otherwise; pass the origin's {@link Volume#owner()}
 * to keep it). Pools written before owners existed read every volume as {@link #USER}'s.
 *
 * @param kind what the volume is for
 * @param ref  the owner's own identifier (e.g. a datastore id), or "" when the kind needs none; at most 255 characters
 */
public record VolumeOwner(Kind kind, String ref) {
    /** An ordinary volume: listed, exported and managed by the administrator. */
    public static final VolumeOwner USER = new VolumeOwner(Kind.USER, "");

    /**
     * What a volume is for. Each kind has a stable {@link #code()} that is what the pool stores: add
     * kinds with new codes, never renumber one.
     */
    public enum Kind {
        /** Made by an administrator or a client through the API. */
        USER(0),
        /** One file's data in an NFS datastore; {@code ref} names the datastore. */
        NFS_FILE(1),
        /** The target of a replication stream; {@code ref} names the source. */
        REPLICA(2);

        private final int code;

        Kind(int code) { this.code = code; }

        /** The stored form of this kind. */
        public int code() { return code; }

        /** The kind stored as {@code code}; refuses codes this build does not know (a newer pool). */
        public static Kind ofCode(int code) {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            throw new PoolFormatException("unknown volume owner kind " + code + " (written by a newer version?)");
        }
    }

    public VolumeOwner {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(ref, "ref");
        if (ref.length() > 255) {
            throw new InvalidIoException("volume owner reference longer than 255 characters");
        }
    }

    /** A file volume of the NFS datastore {@code datastoreId}. */
    public static VolumeOwner nfsFile(String datastoreId) { return new VolumeOwner(Kind.NFS_FILE, datastoreId); }

    /** A replication target receiving from {@code source}. */
    public static VolumeOwner replica(String source) { return new VolumeOwner(Kind.REPLICA, source); }

    /** True for an administrator's volume. */
    public boolean isUser() { return kind == Kind.USER; }

    @Override
    public String toString() { return ref.isEmpty() ? kind.name() : kind.name() + ":" + ref; }
}
