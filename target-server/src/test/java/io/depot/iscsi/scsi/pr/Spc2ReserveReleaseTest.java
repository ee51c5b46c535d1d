package io.depot.iscsi.scsi.pr;

import static io.depot.iscsi.scsi.pr.PrHarness.*;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.iscsi.scsi.ItNexus;
import io.depot.iscsi.scsi.ScsiResult;
import io.depot.iscsi.scsi.SenseReason;
import org.junit.jupiter.api.Test;

/** SPC-2 RESERVE/RELEASE and how they meet persistent reservations (libiscsi reserve6_*, SPC-4 §5.9.3 CRH). */
class Spc2ReserveReleaseTest {
    static final ItNexus A = nexus("iqn.2000-01.test:a", 1, 1);
    static final ItNexus B = nexus("iqn.2000-01.test:b", 2, 1);
    static final byte[] RESERVE6 = cdb(0x16), RELEASE6 = cdb(0x17), RESERVE10 = cdb(0x56), RELEASE10 = cdb(0x57);

    final PrHarness h = new PrHarness();
    final PersistentReservations pr = new PersistentReservations(h.sink);

    ScsiResult reserve(ItNexus n, byte[] cdb) { return run(n, cdb, null, pr::reserve); }

    ScsiResult release(ItNexus n, byte[] cdb) { return run(n, cdb, null, pr::release); }

    @Test
    void reserve6_2initiators() {
        assertGood(reserve(A, RESERVE6));
        assertGood(reserve(A, RESERVE10)); // the holder may reserve again
        assertFalse(pr.conflicts(A, WRITE10));
        assertTrue(pr.conflicts(B, READ10));
        assertTrue(pr.conflicts(B, WRITE10));
        assertTrue(pr.conflicts(B, TEST_UNIT_READY));
        assertTrue(pr.conflicts(B, RESERVE6));
        assertConflict(reserve(B, RESERVE6));
        assertFalse(pr.conflicts(B, INQUIRY));
        assertFalse(pr.conflicts(B, cdb(0xa0)));
        assertFalse(pr.conflicts(B, cdb(0x03)));
        // RELEASE from a non-holder is GOOD and releases nothing
        assertFalse(pr.conflicts(B, RELEASE6));
        assertGood(release(B, RELEASE6));
        assertTrue(pr.conflicts(B, WRITE10));
        assertGood(release(A, RELEASE10));
        assertFalse(pr.conflicts(B, WRITE10));
        assertGood(reserve(B, RESERVE10));
        assertTrue(pr.conflicts(A, READ10));
    }

    @Test
    void persistentReserveCommandsConflictWhileReserved() {
        assertGood(reserve(A, RESERVE6));
        assertTrue(pr.conflicts(A, cdb(0x5e, 0)), "even for the holder (SPC-2 §5.5.1)");
        assertTrue(pr.conflicts(B, cdb(0x5f, 0)));
        assertConflict(prout(pr, A, REGISTER, 0, 0, 1, 0));
        assertConflict(run(A, cdb(0x5e, 0, 0, 0, 0, 0, 0, 0, 64, 0), null, pr::persistentReserveIn));
    }

    @Test
    void reserve6_itnexus_loss_and_lun_reset() {
        assertGood(reserve(A, RESERVE6));
        pr.nexusRemoved(B);
        assertTrue(pr.conflicts(B, WRITE10), "another nexus leaving changes nothing");
        pr.nexusRemoved(A);
        assertFalse(pr.conflicts(B, WRITE10));
        assertGood(reserve(B, RESERVE6));
        pr.lunReset();
        assertFalse(pr.conflicts(A, WRITE10));
        assertGood(reserve(A, RESERVE6));
    }

    @Test
    void reserveUnderAPersistentReservationFollowsCompatibleReservationHandling() {
        assertGood(prout(pr, A, REGISTER, 0, 0, 0xa, 0));
        assertGood(prout(pr, B, REGISTER, 0, 0, 0xb, 0));
        assertGood(reserve(A, RESERVE6)); // registrations alone do not stop RESERVE
        assertGood(release(A, RELEASE6));
        assertGood(prout(pr, A, RESERVE, WE, 0xa, 0, 0));
        // the holder's RESERVE is a no-op; anyone else's conflicts
        assertFalse(pr.conflicts(A, RESERVE6));
        assertGood(reserve(A, RESERVE6));
        assertTrue(pr.conflicts(B, RESERVE10));
        assertConflict(reserve(B, RESERVE10));
        // a registrant's RELEASE is a no-op; an unregistered nexus's conflicts
        assertGood(release(B, RELEASE6));
        ItNexus c = nexus("iqn.2000-01.test:c", 3, 1);
        assertTrue(pr.conflicts(c, RELEASE6));
        assertConflict(release(c, RELEASE6));
        assertTrue(pr.conflicts(B, WRITE10), "the persistent reservation still stands");
    }

    @Test
    void thirdPartyReservationsAreRefused() {
        assertSense(reserve(A, cdb(0x56, 0x10)), SenseReason.INVALID_FIELD_IN_CDB);
        assertSense(release(A, cdb(0x57, 0x02)), SenseReason.INVALID_FIELD_IN_CDB);
        assertFalse(pr.conflicts(B, WRITE10));
    }
}
