package io.depot.iscsi.scsi.pr;

import static io.depot.iscsi.scsi.pr.PrHarness.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.iscsi.scsi.ItNexus;
import io.depot.iscsi.scsi.SenseReason;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** APTPL: registrations and the reservation survive a restart through the pool catalog. */
class AptplPersistenceTest {
    static final ItNexus A = nexus("iqn.2000-01.test:a", 0x1234, 1);
    static final ItNexus B = nexus("iqn.2000-01.test:b", 0x5678, 2);
    static final String KEY = "pr/lun-under-test";

    @TempDir Path dir;
    final PrHarness h = new PrHarness();

    PersistentReservations open(Pool pool) {
        return new PersistentReservations(h.sink, ReservationStore.inCatalog(pool.catalog().namespace("iscsi"), KEY), null, 16);
    }

    @Test
    void aptplStateSurvivesPoolCloseAndReopen() {
        try (Pool pool = Pool.create(dir, PoolOptions.ofCapacity(64L << 20))) {
            PersistentReservations pr = open(pool);
            assertEquals(0x01, prin(pr, A, 2)[2] & 0x01, "PTPL_C with a store");
            assertGood(prout(pr, A, REGISTER, 0, 0, 0xaaaa, APTPL | ALL_TG_PT));
            assertGood(prout(pr, B, REGISTER, 0, 0, 0xbbbb, APTPL));
            assertGood(prout(pr, A, RESERVE, EA_RO, 0xaaaa, 0, 0));
            assertEquals(0x01, prin(pr, A, 2)[3] & 0x01, "PTPL_A");
            assertNotNull(pool.catalog().namespace("iscsi").get(KEY));
        }
        try (Pool pool = Pool.open(dir)) {
            PersistentReservations pr = open(pool);
            assertEquals(List.of(0xaaaaL, 0xbbbbL), readKeys(pr, B));
            byte[] rr = prin(pr, B, 1);
            assertEquals(0xaaaaL, ReserveOutActions.u64(rr, 8));
            assertEquals(EA_RO, rr[21]);
            assertEquals(2, generation(pr, B), "two REGISTERs; RESERVE does not count");
            assertFalse(pr.conflicts(nexus(A.initiatorName(), A.isid(), 7), PrHarness.WRITE10), "ALL_TG_PT kept");
            assertFalse(pr.conflicts(B, PrHarness.WRITE10));
            assertTrue(pr.conflicts(nexus("iqn.2000-01.test:c", 1, 1), PrHarness.READ10));
            // a REGISTER with APTPL=0 ends persistence: the saved state goes
            assertGood(prout(pr, B, REGISTER, 0, 0xbbbb, 0xbbbc, 0));
            assertNull(pool.catalog().namespace("iscsi").get(KEY));
        }
        try (Pool pool = Pool.open(dir)) {
            PersistentReservations pr = open(pool);
            assertEquals(List.of(), readKeys(pr, A));
            assertNull(pr.snapshot().type());
        }
    }

    @Test
    void withoutAptplNothingIsSaved() {
        try (Pool pool = Pool.create(dir, PoolOptions.ofCapacity(64L << 20))) {
            PersistentReservations pr = open(pool);
            assertGood(prout(pr, A, REGISTER, 0, 0, 0xaaaa, 0));
            assertGood(prout(pr, A, RESERVE, WE, 0xaaaa, 0, 0));
            assertNull(pool.catalog().namespace("iscsi").get(KEY));
        }
    }

    @Test
    void aFailingStoreLeavesTheStateUnchanged() {
        ReservationStore broken = new ReservationStore() {
            boolean fail;
            @Override public byte[] load() { return null; }
            @Override public void save(byte[] state) {
                if (fail) {
                    throw new IllegalStateException("disk gone");
                }
                fail = true;
            }
            @Override public void clear() {}
        };
        PersistentReservations pr = new PersistentReservations(h.sink, broken, null, 16);
        assertGood(prout(pr, A, REGISTER, 0, 0, 0xaaaa, APTPL));
        assertSense(prout(pr, A, RESERVE, WE, 0xaaaa, 0, 0), SenseReason.INTERNAL_TARGET_FAILURE);
        assertNull(pr.snapshot().type());
    }

    @Test
    void codecRoundTripsAndRejectsGarbage() {
        Registration a = new Registration(1, "iqn.x:a", 77, 1);
        Registration b = new Registration(2, "iqn.x:b", Registration.ANY_ISID, Registration.ALL_PORTS);
        ReservationState s = new ReservationState(List.of(a, b), ReservationType.WRITE_EXCLUSIVE, b, 9, true);
        assertEquals(s, ReservationCodec.decode(ReservationCodec.encode(s)));
        ReservationState ar = new ReservationState(List.of(a), ReservationType.EXCLUSIVE_ACCESS_ALL_REGISTRANTS, null, 1, true);
        assertEquals(ar, ReservationCodec.decode(ReservationCodec.encode(ar)));
        byte[] bytes = ReservationCodec.encode(s);
        bytes[3] = 9; // unknown version
        assertThrows(IllegalArgumentException.class, () -> ReservationCodec.decode(bytes));
        byte[] truncated = java.util.Arrays.copyOf(ReservationCodec.encode(s), 20);
        assertThrows(IllegalArgumentException.class, () -> ReservationCodec.decode(truncated));
        // an unreadable saved state starts the logical unit with no reservations rather than failing
        ReservationStore junk = new ReservationStore() {
            @Override public byte[] load() { return new byte[] {1, 2, 3}; }
            @Override public void save(byte[] state) {}
            @Override public void clear() {}
        };
        assertEquals(ReservationState.EMPTY, new PersistentReservations(h.sink, junk, null, 4).snapshot());
    }
}
