package io.depot.iscsi.scsi.pr;

import static io.depot.iscsi.scsi.pr.PrHarness.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.iscsi.scsi.ItNexus;
import io.depot.iscsi.scsi.ScsiResult;
import io.depot.iscsi.scsi.SenseReason;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** PERSISTENT RESERVE IN/OUT behaviour, after libiscsi's prin_* and prout_* tests and SPC-4 §5.9. */
class PersistentReservationsTest {
    static final ItNexus A = nexus("iqn.1993-08.org.debian:01:aaa", 0x23d000000001L, 1);
    static final ItNexus B = nexus("iqn.1993-08.org.debian:01:bbb", 0x23d000000002L, 1);
    static final ItNexus C = nexus("iqn.1993-08.org.debian:01:ccc", 0x23d000000003L, 1);
    static final long KA = 0xa1a1L, KB = 0xb2b2L;

    PrHarness h;
    PersistentReservations pr;
    final List<Object[]> preemptions = new ArrayList<>();

    @BeforeEach
    void setUp() {
        h = new PrHarness();
        pr = new PersistentReservations(h.sink, null,
            (req, lost, abort) -> preemptions.add(new Object[] {req, lost, abort}), 16);
        // every nexus has sent the LU a command, as the logical unit does before routing here
        for (ItNexus n : List.of(A, B, C)) {
            assertFalse(pr.conflicts(n, TEST_UNIT_READY));
        }
    }

    void registerAB() {
        assertGood(prout(pr, A, REGISTER, 0, 0, KA, 0));
        assertGood(prout(pr, B, REGISTER, 0, 0, KB, 0));
    }

    @Test
    void prout_register_simple() {
        assertEquals(List.of(), readKeys(pr, A));
        assertEquals(0, generation(pr, A));
        registerAB();
        assertEquals(List.of(KA, KB), readKeys(pr, C));
        assertEquals(2, generation(pr, C));

        // wrong current key, and a nonzero key from an unregistered nexus: conflict, nothing changes
        assertConflict(prout(pr, A, REGISTER, 0, 0x999, 0x777, 0));
        assertConflict(prout(pr, C, REGISTER, 0, 0x1, 0x777, 0));
        assertEquals(2, generation(pr, C));

        // change the key, then unregister with service action key zero
        assertGood(prout(pr, A, REGISTER, 0, KA, 0xa2a2, 0));
        assertEquals(List.of(0xa2a2L, KB), readKeys(pr, C));
        assertGood(prout(pr, A, REGISTER, 0, 0xa2a2, 0, 0));
        assertEquals(List.of(KB), readKeys(pr, C));
        assertEquals(4, generation(pr, C));

        // an unregistered nexus "unregistering" is a no-op
        assertGood(prout(pr, C, REGISTER, 0, 0, 0, 0));
        assertEquals(4, generation(pr, C));
    }

    @Test
    void registerAndIgnoreExistingKeyReplacesWhateverKeyIsThere() {
        registerAB();
        assertGood(prout(pr, A, REGISTER_AND_IGNORE, 0, 0x12345, 0x5555, 0));
        assertEquals(List.of(0x5555L, KB), readKeys(pr, A));
        assertGood(prout(pr, C, REGISTER_AND_IGNORE, 0, 0xdead, 0x6666, 0));
        assertEquals(List.of(0x5555L, KB, 0x6666L), readKeys(pr, A));
        // SPEC_I_PT is for REGISTER only
        assertSense(prout(pr, C, REGISTER_AND_IGNORE, 0, 0, 0x7777, SPEC_I_PT), SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
    }

    @Test
    void prout_reserve_simple() {
        registerAB();
        assertConflict(prout(pr, C, RESERVE, WE, 0, 0, 0));      // not registered
        assertConflict(prout(pr, A, RESERVE, WE, KB, 0, 0));     // wrong key
        assertGood(prout(pr, A, RESERVE, WE, KA, 0, 0));
        byte[] rr = prin(pr, B, 1);
        assertEquals(16, ReserveOutActions.u32(rr, 4));
        assertEquals(KA, ReserveOutActions.u64(rr, 8));
        assertEquals(WE, rr[21]);
        assertGood(prout(pr, A, RESERVE, WE, KA, 0, 0));         // same again: GOOD
        assertConflict(prout(pr, A, RESERVE, EA, KA, 0, 0));     // holder, other type
        assertConflict(prout(pr, B, RESERVE, WE, KB, 0, 0));     // another registrant
        assertEquals(2, generation(pr, A), "RESERVE does not bump PRgeneration");
    }

    /**
     * libiscsi prout_reserve_access_*: holder A, registrant B, non-registrant C, one read and one
     * write each. "true" means RESERVATION CONFLICT.
     */
    @ParameterizedTest(name = "type {0}")
    @CsvSource({
        // type, B read, B write, C read, C write
        "1, false, true,  false, true",   // WRITE EXCLUSIVE
        "3, true,  true,  true,  true",   // EXCLUSIVE ACCESS
        "5, false, false, false, true",   // WRITE EXCLUSIVE - REGISTRANTS ONLY
        "6, false, false, true,  true",   // EXCLUSIVE ACCESS - REGISTRANTS ONLY
        "7, false, false, false, true",   // WRITE EXCLUSIVE - ALL REGISTRANTS
        "8, false, false, true,  true",   // EXCLUSIVE ACCESS - ALL REGISTRANTS
    })
    void prout_reserve_access(int type, boolean bRead, boolean bWrite, boolean cRead, boolean cWrite) {
        registerAB();
        assertGood(prout(pr, A, RESERVE, type, KA, 0, 0));
        assertFalse(pr.conflicts(A, READ10));
        assertFalse(pr.conflicts(A, WRITE10));
        assertEquals(bRead, pr.conflicts(B, READ10), "registrant read");
        assertEquals(bWrite, pr.conflicts(B, WRITE10), "registrant write");
        assertEquals(cRead, pr.conflicts(C, READ10), "non-registrant read");
        assertEquals(cWrite, pr.conflicts(C, WRITE10), "non-registrant write");
        // always allowed for everyone
        for (ItNexus n : List.of(B, C)) {
            assertFalse(pr.conflicts(n, INQUIRY));
            assertFalse(pr.conflicts(n, TEST_UNIT_READY));
            assertFalse(pr.conflicts(n, cdb(0x5e, 0)));
            assertFalse(pr.conflicts(n, cdb(0x5f, 0)));
            assertFalse(pr.conflicts(n, cdb(0xa0)));
            assertFalse(pr.conflicts(n, cdb(0x9e, 0x10)));
        }
        // released: everyone has access again
        assertGood(prout(pr, A, RELEASE, type, KA, 0, 0));
        assertFalse(pr.conflicts(C, WRITE10));
    }

    /** libiscsi prout_reserve_ownership_*: the reservation follows the holder's registration. */
    @ParameterizedTest(name = "type {0}")
    @CsvSource({"1", "3", "5", "6", "7", "8"})
    void prout_reserve_ownership(int type) {
        registerAB();
        assertGood(prout(pr, A, RESERVE, type, KA, 0, 0));
        assertGood(prout(pr, A, REGISTER, 0, KA, 0, 0)); // holder unregisters
        ReservationType t = ReservationType.of(type);
        if (t.allRegistrants()) {
            // all-registrants reservations stay while any registrant remains
            assertEquals(t, pr.snapshot().type());
            assertFalse(pr.conflicts(B, WRITE10));
            assertTrue(pr.conflicts(A, WRITE10));
            assertGood(prout(pr, B, REGISTER, 0, KB, 0, 0));
        }
        assertNull(pr.snapshot().type());
        assertFalse(pr.conflicts(C, WRITE10));
    }

    @Test
    void allRegistrantsReservationReportsKeyZeroAndAnyRegistrantMayRelease() {
        registerAB();
        assertGood(prout(pr, B, RESERVE, EA_AR, KB, 0, 0));
        byte[] rr = prin(pr, A, 1);
        assertEquals(0, ReserveOutActions.u64(rr, 8), "all-registrants reservations report key 0");
        assertEquals(EA_AR, rr[21]);
        // any registrant may release an all-registrants reservation
        assertGood(prout(pr, A, RELEASE, EA_AR, KA, 0, 0));
        assertNull(pr.snapshot().type());
    }

    @Test
    void releaseRules() {
        registerAB();
        assertGood(prout(pr, A, RESERVE, WE_RO, KA, 0, 0));
        assertGood(prout(pr, B, RELEASE, WE_RO, KB, 0, 0));       // not the holder: GOOD, no change
        assertEquals(ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY, pr.snapshot().type());
        assertConflict(prout(pr, C, RELEASE, WE_RO, 0, 0, 0));      // not registered
        assertConflict(prout(pr, A, RELEASE, WE_RO, KB, 0, 0));     // wrong key
        assertSense(prout(pr, A, RELEASE, WE, KA, 0, 0), SenseReason.INVALID_RELEASE_OF_PERSISTENT_RESERVATION);
        assertTrue(h.attentions.isEmpty());
        assertGood(prout(pr, A, RELEASE, WE_RO, KA, 0, 0));
        assertNull(pr.snapshot().type());
        // registrants-only release: the other registrants hear of it, the unregistered do not
        assertEquals(List.of(new Attention(B, SenseReason.RESERVATIONS_RELEASED)), h.attentions);
        assertGood(prout(pr, A, RELEASE, WE_RO, KA, 0, 0));         // nothing held: GOOD
    }

    @Test
    void releasingWriteExclusiveRaisesNoUnitAttention() {
        registerAB();
        assertGood(prout(pr, A, RESERVE, WE, KA, 0, 0));
        assertGood(prout(pr, A, RELEASE, WE, KA, 0, 0));
        assertTrue(h.attentions.isEmpty());
    }

    @Test
    void prout_clear_simple() {
        registerAB();
        assertGood(prout(pr, A, RESERVE, EA, KA, 0, 0));
        assertConflict(prout(pr, C, CLEAR, 0, 0, 0, 0));
        assertConflict(prout(pr, B, CLEAR, 0, KA, 0, 0));
        assertGood(prout(pr, B, CLEAR, 0, KB, 0, 0));
        assertEquals(List.of(), readKeys(pr, C));
        assertEquals(8, prin(pr, C, 1).length, "no reservation");
        assertEquals(3, generation(pr, C));
        assertFalse(pr.conflicts(C, WRITE10));
        assertEquals(List.of(new Attention(A, SenseReason.RESERVATIONS_PREEMPTED)), h.attentions);
    }

    @Test
    void preemptTakesTheReservationAndTellsWhoLostIt() {
        registerAB();
        assertGood(prout(pr, A, RESERVE, WE, KA, 0, 0));
        assertGood(prout(pr, B, PREEMPT_AND_ABORT, EA, KB, KA, 0));
        assertEquals(List.of(KB), readKeys(pr, C));
        byte[] rr = prin(pr, C, 1);
        assertEquals(KB, ReserveOutActions.u64(rr, 8));
        assertEquals(EA, rr[21]);
        assertTrue(pr.conflicts(A, READ10), "A lost its registration and the reservation");
        assertEquals(List.of(new Attention(A, SenseReason.REGISTRATIONS_PREEMPTED)), h.attentions);
        assertEquals(1, preemptions.size());
        assertEquals(B, preemptions.get(0)[0]);
        assertEquals(Set.of(A), preemptions.get(0)[1]);
        assertEquals(true, preemptions.get(0)[2]);
        assertEquals(3, generation(pr, C));
    }

    @Test
    void prout_preempt_rm_reg() {
        // no reservation: PREEMPT only removes registrations with the key given
        registerAB();
        assertGood(prout(pr, C, REGISTER, 0, 0, 0xc3c3, 0));
        assertGood(prout(pr, A, PREEMPT, WE, KA, KB, 0));
        assertEquals(List.of(KA, 0xc3c3L), readKeys(pr, A));
        assertNull(pr.snapshot().type());
        assertEquals(List.of(new Attention(B, SenseReason.REGISTRATIONS_PREEMPTED)), h.attentions);
        assertEquals(false, preemptions.get(0)[2]);
        assertConflict(prout(pr, A, PREEMPT, WE, KA, 0x4444, 0));   // nobody has that key
        assertSense(prout(pr, A, PREEMPT, WE, KA, 0, 0), SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        assertConflict(prout(pr, B, PREEMPT, WE, KB, KA, 0));        // B is no longer registered
    }

    @Test
    void preemptOfANonHolderKeyLeavesTheReservation() {
        registerAB();
        assertGood(prout(pr, C, REGISTER, 0, 0, 0xc3c3, 0));
        assertGood(prout(pr, A, RESERVE, WE_RO, KA, 0, 0));
        assertGood(prout(pr, B, PREEMPT, WE_RO, KB, 0xc3c3, 0));
        assertEquals(ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY, pr.snapshot().type());
        assertEquals(KA, pr.snapshot().holder().key());
        assertTrue(pr.conflicts(C, WRITE10));
    }

    @Test
    void preemptOfAnAllRegistrantsReservationWithKeyZeroRemovesEveryoneElse() {
        registerAB();
        assertGood(prout(pr, C, REGISTER, 0, 0, 0xc3c3, 0));
        assertGood(prout(pr, A, RESERVE, WE_AR, KA, 0, 0));
        assertGood(prout(pr, B, PREEMPT, WE, KB, 0, 0));
        assertEquals(List.of(KB), readKeys(pr, A));
        assertEquals(ReservationType.WRITE_EXCLUSIVE, pr.snapshot().type());
        assertEquals(KB, pr.snapshot().holder().key());
        assertEquals(2, h.attentions.size());
        assertTrue(h.attentions.stream().allMatch(a -> a.reason() == SenseReason.REGISTRATIONS_PREEMPTED));
    }

    @Test
    void preemptChangingTheTypeTellsTheRemainingRegistrants() {
        registerAB();
        assertGood(prout(pr, C, REGISTER, 0, 0, 0xc3c3, 0));
        assertGood(prout(pr, A, RESERVE, WE, KA, 0, 0));
        // A preempts its own reservation to change the type: C keeps its registration, is told of the release
        assertGood(prout(pr, A, PREEMPT, EA, KA, KA, 0));
        assertEquals(ReservationType.EXCLUSIVE_ACCESS, pr.snapshot().type());
        assertEquals(List.of(KA, KB, 0xc3c3L), readKeys(pr, A));
        assertEquals(Set.of(new Attention(B, SenseReason.RESERVATIONS_RELEASED),
            new Attention(C, SenseReason.RESERVATIONS_RELEASED)), Set.copyOf(h.attentions));
    }

    @Test
    void unregisteringARegistrantsOnlyHolderReleasesWithUnitAttention() {
        registerAB();
        assertGood(prout(pr, A, RESERVE, EA_RO, KA, 0, 0));
        assertGood(prout(pr, A, REGISTER, 0, KA, 0, 0));
        assertNull(pr.snapshot().type());
        assertEquals(List.of(new Attention(B, SenseReason.RESERVATIONS_RELEASED)), h.attentions);
    }

    @Test
    void specIptRegistersTheNamedPortsAndReadFullStatusShowsThem() {
        byte[] tids = concat(transportId(B.initiatorName(), B.isid()), transportId(C.initiatorName(), null));
        byte[] extra = new byte[4 + tids.length];
        putInt(extra, 0, tids.length);
        System.arraycopy(tids, 0, extra, 4, tids.length);
        assertGood(prout(pr, A, REGISTER, 0, basicList(0, KA, SPEC_I_PT, extra)));
        assertEquals(List.of(KA, KA, KA), readKeys(pr, A));
        assertGood(prout(pr, A, RESERVE, WE_RO, KA, 0, 0));
        assertFalse(pr.conflicts(B, WRITE10), "B was registered through its TransportID");
        ItNexus otherCPort = nexus(C.initiatorName(), 0x999, 1);
        assertFalse(pr.conflicts(otherCPort, WRITE10), "a name-only TransportID covers every ISID");
        assertTrue(pr.conflicts(nexus("iqn.x:other", 1, 1), WRITE10));

        byte[] fs = prin(pr, A, 3);
        assertEquals(1, generation(pr, A));
        int off = 8;
        List<String> names = new ArrayList<>();
        List<Integer> holderBits = new ArrayList<>();
        while (off < fs.length) {
            assertEquals(KA, ReserveOutActions.u64(fs, off));
            holderBits.add(fs[off + 12] & 1);
            int tidLen = (int) ReserveOutActions.u32(fs, off + 20);
            byte[] tid = java.util.Arrays.copyOfRange(fs, off + 24, off + 24 + tidLen);
            try {
                TransportId t = TransportId.parse(tid, 0, tid.length);
                names.add(t.initiatorName() + "/" + t.isid());
            } catch (TransportId.Malformed e) {
                throw new AssertionError(e);
            }
            off += 24 + tidLen;
        }
        assertEquals(List.of(A.initiatorName() + "/" + A.isid(), B.initiatorName() + "/" + B.isid(),
            C.initiatorName() + "/-1"), names);
        assertEquals(List.of(1, 0, 0), holderBits, "a registrants-only reservation has one holder");
    }

    @Test
    void specIptRefusesDuplicatesAndBadTransportIds() {
        assertGood(prout(pr, B, REGISTER, 0, 0, KB, 0));
        byte[] dup = transportId(B.initiatorName(), B.isid());
        byte[] extra = new byte[4 + dup.length];
        putInt(extra, 0, dup.length);
        System.arraycopy(dup, 0, extra, 4, dup.length);
        assertSense(prout(pr, A, REGISTER, 0, basicList(0, KA, SPEC_I_PT, extra)), SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        // a Fibre Channel TransportID (protocol 0)
        byte[] fc = new byte[24];
        byte[] extraFc = new byte[28];
        putInt(extraFc, 0, 24);
        System.arraycopy(fc, 0, extraFc, 4, 24);
        assertSense(prout(pr, A, REGISTER, 0, basicList(0, KA, SPEC_I_PT, extraFc)), SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        // TransportID length disagreeing with the parameter list
        putInt(extra, 0, dup.length + 4);
        assertSense(prout(pr, A, REGISTER, 0, basicList(0, KA, SPEC_I_PT, extra)), SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        // SPEC_I_PT from an already registered nexus
        assertSense(prout(pr, B, REGISTER, 0, KB, KB, SPEC_I_PT), SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        assertEquals(List.of(KB), readKeys(pr, A), "nothing registered by the refused commands");
    }

    @Test
    void allTargetPortsRegistersThePortEverywhere() {
        assertGood(prout(pr, A, REGISTER, 0, 0, KA, ALL_TG_PT));
        ItNexus aViaPort2 = nexus(A.initiatorName(), A.isid(), 2);
        assertGood(prout(pr, aViaPort2, RESERVE, EA, KA, 0, 0));
        assertFalse(pr.conflicts(A, WRITE10));
        assertTrue(pr.conflicts(B, READ10));
        byte[] fs = prin(pr, A, 3);
        assertEquals(0x03, fs[8 + 12], "ALL_TG_PT and R_HOLDER");
        // without ALL_TG_PT the registration is per target port
        assertGood(prout(pr, B, REGISTER, 0, 0, KB, 0));
        assertConflict(prout(pr, nexus(B.initiatorName(), B.isid(), 2), REGISTER, 0, KB, 0x5, 0));
    }

    @Test
    void registerAndMoveHandsTheReservationToAnotherPort() {
        registerAB();
        assertGood(prout(pr, A, RESERVE, WE, KA, 0, 0));
        byte[] tid = transportId(C.initiatorName(), C.isid());
        byte[] p = new byte[24 + tid.length];
        putLong(p, 0, KA);
        putLong(p, 8, 0xc3c3);
        p[17] = 0x02;                 // UNREG
        p[19] = 1;                    // relative target port 1
        putInt(p, 20, tid.length);
        System.arraycopy(tid, 0, p, 24, tid.length);
        assertConflict(prout(pr, B, REGISTER_AND_MOVE, 0, withKey(p, KB))); // B does not hold it
        assertGood(prout(pr, A, REGISTER_AND_MOVE, 0, p));
        assertEquals(List.of(KB, 0xc3c3L), readKeys(pr, B));
        assertEquals(0xc3c3L, pr.snapshot().holder().key());
        assertFalse(pr.conflicts(C, WRITE10));
        assertTrue(pr.conflicts(A, WRITE10));
        assertEquals(3, generation(pr, B), "two REGISTERs and the move");
        // moving to oneself is refused
        byte[] self = p.clone();
        putLong(self, 0, 0xc3c3);
        putLong(self, 8, 0xc4c4);
        assertSense(prout(pr, C, REGISTER_AND_MOVE, 0, self), SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
    }

    @Test
    void parameterListAndCdbValidation() {
        assertSense(prout(pr, A, REGISTER, 0, new byte[23]), SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        assertSense(prout(pr, A, REGISTER, 0, new byte[28]), SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        // CDB says more than was sent
        assertSense(run(A, proutCdb(REGISTER, 0, 48), basicList(0, KA, 0, new byte[0]), pr::persistentReserveOut),
            SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        assertSense(run(A, proutCdb(8, 0, 24), basicList(0, KA, 0, new byte[0]), pr::persistentReserveOut),
            SenseReason.INVALID_FIELD_IN_CDB);
        assertSense(prout(pr, A, REGISTER, 0, 0, KA, APTPL), SenseReason.INVALID_FIELD_IN_PARAMETER_LIST); // no store
        assertGood(prout(pr, A, REGISTER, 0, 0, KA, 0));
        assertSense(prout(pr, A, RESERVE, 2, KA, 0, 0), SenseReason.INVALID_FIELD_IN_CDB);        // reserved type
        assertSense(prout(pr, A, RESERVE, 0x10 | WE, KA, 0, 0), SenseReason.INVALID_FIELD_IN_CDB); // scope 1
        assertSense(prout(pr, A, RESERVE, WE, basicList(KA, 0, SPEC_I_PT, new byte[0])), SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        // PERSISTENT RESERVE IN: service actions 4..1Fh are invalid (libiscsi prin_serviceaction_range)
        for (int sa = 4; sa < 0x20; sa++) {
            assertSense(run(A, cdb(0x5e, sa, 0, 0, 0, 0, 0, 0x10, 0), null, pr::persistentReserveIn), SenseReason.INVALID_FIELD_IN_CDB);
        }
    }

    @Test
    void registrationLimitGivesInsufficientResources() {
        PersistentReservations small = new PersistentReservations(h.sink, null, null, 2);
        assertGood(prout(small, A, REGISTER, 0, 0, KA, 0));
        assertGood(prout(small, B, REGISTER, 0, 0, KB, 0));
        assertSense(prout(small, C, REGISTER, 0, 0, 0xc, 0), SenseReason.INSUFFICIENT_REGISTRATION_RESOURCES);
        assertEquals(List.of(KA, KB), readKeys(small, A));
    }

    @Test
    void prin_report_caps_simple() {
        byte[] caps = prin(pr, A, 2);
        assertArrayEquals(new byte[] {0, 8, 0x1c, (byte) 0x90, (byte) 0xea, 0x01, 0, 0}, caps);
        // and every advertised type can be reserved and released (libiscsi prin_report_caps_simple)
        assertGood(prout(pr, A, REGISTER_AND_IGNORE, 0, 0, KA, 0));
        for (int type : new int[] {WE, EA, WE_RO, EA_RO, WE_AR, EA_AR}) {
            assertGood(prout(pr, A, RESERVE, type, KA, 0, 0));
            byte[] rr = prin(pr, A, 1);
            assertEquals(ReservationType.of(type).allRegistrants() ? 0 : KA, ReserveOutActions.u64(rr, 8));
            assertEquals(type, rr[21]);
            assertGood(prout(pr, A, RELEASE, type, KA, 0, 0));
        }
    }

    @Test
    void prinTruncatesToTheAllocationLength() {
        registerAB();
        ScsiResult r = run(A, cdb(0x5e, 0, 0, 0, 0, 0, 0, 0, 12, 0), null, pr::persistentReserveIn);
        assertEquals(12, r.dataIn().readableBytes());
        assertEquals(16, r.dataIn().getInt(4), "ADDITIONAL LENGTH still tells the full size");
        r.dataIn().release();
        ScsiResult none = run(A, cdb(0x5e, 0, 0, 0, 0, 0, 0, 0, 0, 0), null, pr::persistentReserveIn);
        assertGood(none);
        assertNull(none.dataIn());
    }

    private static byte[] withKey(byte[] p, long key) {
        byte[] q = p.clone();
        putLong(q, 0, key);
        return q;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
