package io.depot.iscsi.scsi;

import io.depot.iscsi.backstore.BlockBackend;

/**
 * Makes the reservation state of one logical unit when a backend is mapped. The sink is where
 * the reservation logic raises unit attentions (RESERVATIONS PREEMPTED, RELEASED, …) for the
 * logical unit's nexuses.
 */
@FunctionalInterface
public interface ReservationsFactory {
    Reservations create(BlockBackend backend, Reservations.UnitAttentionSink unitAttentions);
}
