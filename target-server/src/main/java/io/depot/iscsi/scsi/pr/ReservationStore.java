package io.depot.iscsi.scsi.pr;

import io.depot.engine.Settings;

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

    /** A store backed by a pool's durable settings under {@code name} (e.g. {@code iscsi/pr/<volume uuid>}). */
    static ReservationStore inSettings(Settings settings, String name) {
        return new ReservationStore() {
            @Override public byte[] load() { return settings.get(name); }
            @Override public void save(byte[] state) { settings.put(name, state); }
            @Override public void clear() { settings.delete(name); }
        };
    }
}
