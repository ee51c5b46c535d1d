package io.depot.iscsi.scsi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.depot.iscsi.backstore.EngineBackend;
import java.util.List;
import org.junit.jupiter.api.Test;

class UnitAttentionTest extends ScsiFixture {

    static final byte[] TUR = cdb(0, 0, 0, 0, 0, 0);
    static final byte[] INQUIRY = cdb(0x12, 0, 0, 0, 36, 0);
    static final byte[] REQUEST_SENSE = cdb(0x03, 0, 0, 0, 18, 0);
    static final byte[] REPORT_LUNS = cdb(0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0);

    @Test
    void aNewNexusStartsCleanAReturningOneLearnsOfTheNexusLossWhichInquiryDoesNotConsume() {
        target.nexusAdded(NEXUS);
        assertGood(exec(rw10(0x28, 0, 0, 1)));
        target.nexusRemoved(NEXUS);
        target.nexusAdded(NEXUS);
        assertGood(exec(INQUIRY));
        assertGood(exec(REPORT_LUNS));
        assertCheck(exec(rw10(0x28, 0, 0, 1)), SenseReason.I_T_NEXUS_LOSS);
        assertGood(exec(TUR));
    }

    @Test
    void requestSenseReturnsAndConsumesTheUnitAttention() {
        target.nexusAdded(NEXUS);
        target.nexusRemoved(NEXUS);
        target.nexusAdded(NEXUS);
        Reply r = exec(REQUEST_SENSE);
        assertGood(r);
        assertEquals(0x6, r.u8(2) & 0x0f);
        assertEquals(0x29, r.u8(12));
        assertGood(exec(TUR));
        Reply none = exec(REQUEST_SENSE);
        assertGood(none);
        assertEquals(0, none.u8(2) & 0x0f, "NO SENSE");
        assertInvalidCdbField(exec(cdb(0x03, 0x01, 0, 0, 18, 0)), 1, 0);   // descriptor format not offered
    }

    @Test
    void conditionsArriveOldestFirstWithoutDuplicates() {
        target.nexusAdded(NEXUS);
        target.nexusAdded(OTHER);
        byte[] select = ModeTest.cachingPageSelect(false);
        drainUnitAttentions(0, OTHER);
        assertGood(exec(0, OTHER, cdb(0x15, 0x10, 0, 0, select.length, 0), select));
        target.tasksClearedBy(0, OTHER);
        target.tasksClearedBy(0, OTHER);
        assertEquals(List.of(SenseReason.MODE_PARAMETERS_CHANGED,
                SenseReason.COMMANDS_CLEARED_BY_ANOTHER_INITIATOR), drainUnitAttentions(0, NEXUS));
        assertEquals(List.of(), drainUnitAttentions(0, OTHER));
    }

    @Test
    void lunResetReachesEveryNexusAndReleasesReserveHolds() {
        target.nexusAdded(NEXUS);
        target.nexusAdded(OTHER);
        drainUnitAttentions(0, NEXUS);
        drainUnitAttentions(0, OTHER);
        assertEquals(true, target.lunReset(0, NEXUS));
        assertEquals(false, target.lunReset(42, NEXUS));
        assertEquals(List.of(SenseReason.BUS_DEVICE_RESET), drainUnitAttentions(0, OTHER));
        // SAM-5 §7.7: every I_T nexus, the requester's included (libiscsi's MultipathIO.Reset checks both paths)
        assertEquals(List.of(SenseReason.BUS_DEVICE_RESET), drainUnitAttentions(0, NEXUS));
        assertEquals(1, reservations.values().iterator().next().lunResets.get());
    }

    @Test
    void lunMapChangesRaiseReportedLunsDataChangedUntilReportLuns() {
        target.nexusAdded(NEXUS);
        drainUnitAttentions(0, NEXUS);
        target.mapLun(1, EngineBackend.of(pool.createVolume("second", 1 << 20)));
        assertEquals(List.of(SenseReason.POWER_ON_RESET), drainUnitAttentions(1, NEXUS));
        Reply luns = exec(REPORT_LUNS);   // clears REPORTED LUNS DATA HAS CHANGED on LUN 0
        assertEquals(16, luns.u32(0));
        assertEquals(1, luns.u8(8 + 8 + 1));
        assertGood(exec(TUR));
        target.unmapLun(1);
        assertCheck(exec(TUR), SenseReason.REPORTED_LUNS_DATA_CHANGED);
        assertGood(exec(TUR));
        assertCheck(exec(1, NEXUS, TUR, null), SenseReason.LOGICAL_UNIT_NOT_SUPPORTED);
        assertEquals(List.of(0L), target.luns());
    }

    @Test
    void aNexusThatLeftHasNoPendingConditions() {
        target.nexusAdded(OTHER);
        target.nexusRemoved(OTHER);
        assertGood(exec(0, OTHER, TUR, null));
    }

    @Test
    void growingTheVolumeRaisesCapacityDataChanged() {
        target.nexusAdded(NEXUS);
        drainUnitAttentions(0, NEXUS);
        volume.grow(VOLUME_BYTES * 2);
        assertCheck(exec(rw10(0x28, 0, 0, 1)), SenseReason.CAPACITY_DATA_CHANGED);
        Reply cap = exec(cdb(0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0));
        assertEquals(2 * BLOCKS - 1, cap.u64(0));
    }

    @Test
    void reservationConflictIsAskedBeforeRunningAnything() {
        reservations.values().iterator().next().conflictingInitiator = OTHER.initiatorName();
        Reply r = exec(0, OTHER, rw16(0x8a, 0, 0, 1), pattern(1, 1));
        assertEquals(ScsiResult.RESERVATION_CONFLICT, r.status());
        assertEquals(null, r.sense());
        assertGood(exec(rw16(0x8a, 0, 0, 1), pattern(1, 1)));
    }
}
