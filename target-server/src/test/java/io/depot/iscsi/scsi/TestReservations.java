package io.depot.iscsi.scsi;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for the real reservation logic (package scsi.pr), test sources only: no
 * reservations exist, except that a test can make every command of one initiator conflict.
 */
final class TestReservations implements Reservations {
    volatile String conflictingInitiator;
    final AtomicInteger reserveCalls = new AtomicInteger();
    final AtomicInteger prInCalls = new AtomicInteger();
    final AtomicInteger lunResets = new AtomicInteger();
    final Reservations.UnitAttentionSink sink;

    TestReservations(Reservations.UnitAttentionSink sink) { this.sink = sink; }

    @Override
    public boolean conflicts(ItNexus nexus, byte[] cdb) {
        return nexus.initiatorName().equals(conflictingInitiator);
    }

    @Override
    public ScsiResult persistentReserveIn(ScsiCommand command) {
        prInCalls.incrementAndGet();
        return ScsiResult.OK;
    }

    @Override
    public ScsiResult persistentReserveOut(ScsiCommand command) { return ScsiResult.OK; }

    @Override
    public ScsiResult reserve(ScsiCommand command) {
        reserveCalls.incrementAndGet();
        return ScsiResult.OK;
    }

    @Override
    public ScsiResult release(ScsiCommand command) { return ScsiResult.OK; }

    @Override
    public void nexusRemoved(ItNexus nexus) {}

    @Override
    public void lunReset() { lunResets.incrementAndGet(); }
}
