package io.depot.iscsi.scsi.pr;

import io.depot.engine.CatalogNamespace;

/**
 * Where a logical unit's persistent reservation state lives while APTPL is in force (SPC-4
 * §5.9.5: registrations and the reservation survive a power loss when the last REGISTER asked
 * for it). The bytes are {@link ReservationCodec}'s; the store only keeps them.
 */
public interface ReservationStore {

    /** The last saved state, or null if none. */
    byte[] load();

    /** Replaces the saved state, durably, before returning. */
    void save(byte[] state);

    /** Forgets the saved state (APTPL turned off). */
    void clear();

    /** A store kept in a catalog namespace under {@code key} (e.g. {@code pr/<target>/<volume uuid>} in {@code iscsi}). */
    static ReservationStore inCatalog(CatalogNamespace<byte[]> namespace, String key) {
        return new ReservationStore() {
            @Override public byte[] load() { return namespace.get(key); }
            @Override public void save(byte[] state) { namespace.put(key, state); }
            @Override public void clear() { namespace.delete(key); }
        };
    }
}
