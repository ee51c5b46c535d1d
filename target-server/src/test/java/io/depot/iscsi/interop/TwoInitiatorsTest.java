package io.depot.iscsi.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two initiators (different initiator names, so different I_T nexuses) sharing one LUN the way
 * cluster file systems do: COMPARE AND WRITE as the only lock (SBC-3 §5.2, the VAAI ATS
 * primitive), and persistent reservations fencing a node that does not hold the reservation
 * (SPC-4 §5.12).
 */
@Timeout(120)
class TwoInitiatorsTest extends LiveTargetTest {
    private static final String NODE_A = "iqn.2026-11.io.depot.test:node-a";
    private static final String NODE_B = "iqn.2026-11.io.depot.test:node-b";
    private static final int BLOCK = 512;
    private static final long COUNTER_LBA = 100;
    private static final int INCREMENTS_PER_NODE = 150;

    /**
     * A counter in one block, incremented by both nodes at once with read, then COMPARE AND WRITE
     * old to old + 1, retrying on MISCOMPARE. If the compare and the write were not atomic with
     * respect to each other's commands, two nodes would both succeed from the same old value and
     * the final count would fall short.
     */
    @Test
    void compareAndWriteCounterNeverLosesAnIncrement() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<int[]>> nodes = new ArrayList<>();
            for (String name : List.of(NODE_A, NODE_B)) {
                nodes.add(pool.submit(() -> incrementLoop(name)));
            }
            int successes = 0;
            int miscompares = 0;
            for (Future<int[]> f : nodes) {
                int[] r = f.get(100, TimeUnit.SECONDS);
                successes += r[0];
                miscompares += r[1];
            }
            System.out.printf("COMPARE AND WRITE counter: %d increments, %d miscompares retried%n", successes, miscompares);
            assertEquals(2 * INCREMENTS_PER_NODE, successes);
            try (RawInitiator check = RawInitiator.login(portal, "iqn.2026-11.io.depot.test:checker", 1, TargetFixture.IQN)) {
                RawInitiator.Result r = check.commandAfterUA(0, RawInitiator.read16(COUNTER_LBA, 1), null, BLOCK);
                assertTrue(r.good(), "read the counter: " + r);
                assertEquals(successes, ByteBuffer.wrap(r.data()).getLong(0), "counter == successful increments");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Returns {successful increments, miscompares}. */
    private int[] incrementLoop(String initiatorName) throws Exception {
        int miscompares = 0;
        try (RawInitiator node = RawInitiator.login(portal, initiatorName, 0x80_0000_0000_01L, TargetFixture.IQN)) {
            node.clearUnitAttentions();
            for (int done = 0; done < INCREMENTS_PER_NODE; ) {
                RawInitiator.Result read = node.command(0, RawInitiator.read16(COUNTER_LBA, 1), null, BLOCK);
                assertTrue(read.good(), initiatorName + " read: " + read);
                long value = ByteBuffer.wrap(read.data()).getLong(0);
                byte[] data = new byte[2 * BLOCK];
                System.arraycopy(read.data(), 0, data, 0, BLOCK);
                ByteBuffer.wrap(data).putLong(BLOCK, value + 1);
                RawInitiator.Result caw = node.command(0, compareAndWrite(COUNTER_LBA, 1), data, 0);
                if (caw.good()) {
                    done++;
                } else {
                    // only a MISCOMPARE (sense key 0Eh, ASC 1Dh) is an expected loss of the race
                    assertEquals(RawInitiator.CHECK_CONDITION, caw.status(), initiatorName + " COMPARE AND WRITE: " + caw);
                    assertEquals(0x0e, caw.senseKey(), initiatorName + " COMPARE AND WRITE sense: " + caw);
                    assertEquals(0x1d, caw.asc(), initiatorName + " COMPARE AND WRITE ASC: " + caw);
                    miscompares++;
                }
            }
            node.logout();
        }
        return new int[] {INCREMENTS_PER_NODE, miscompares};
    }

    /**
     * Node A registers and takes a Write Exclusive reservation: B (not registered) may still read
     * but its writes get RESERVATION CONFLICT, while A writes; once A releases, B writes again.
     */
    @Test
    void persistentReservationFencesTheNonHolder() throws Exception {
        long keyA = 0xA11CEL;
        try (RawInitiator a = RawInitiator.login(portal, NODE_A, 0x80_0000_0000_01L, TargetFixture.IQN);
             RawInitiator b = RawInitiator.login(portal, NODE_B, 0x80_0000_0000_01L, TargetFixture.IQN)) {
            a.clearUnitAttentions();
            b.clearUnitAttentions();
            byte[] before = SessionReinstatementTest.pattern(BLOCK, 0x10);
            assertTrue(b.command(0, RawInitiator.write16(7, 1), before, 0).good(), "B writes before any reservation");

            assertGood(a.command(0, prOut(0x00, 0), prParameters(0, keyA)), "A: REGISTER");
            assertGood(a.command(0, prOut(0x01, 0x1), prParameters(keyA, 0)), "A: RESERVE (Write Exclusive)");

            RawInitiator.Result fenced = b.command(0, RawInitiator.write16(7, 1), SessionReinstatementTest.pattern(BLOCK, 0x66), 0);
            assertEquals(RawInitiator.RESERVATION_CONFLICT, fenced.status(), "B's WRITE under A's Write Exclusive: " + fenced);
            RawInitiator.Result read = b.command(0, RawInitiator.read16(7, 1), null, BLOCK);
            assertTrue(read.good(), "B's READ is allowed under Write Exclusive: " + read);
            assertEquals(ByteBuffer.wrap(before), ByteBuffer.wrap(read.data()), "the fenced write changed nothing");

            byte[] fromA = SessionReinstatementTest.pattern(BLOCK, 0x0a);
            assertTrue(a.command(0, RawInitiator.write16(7, 1), fromA, 0).good(), "the holder writes");
            assertEquals(ByteBuffer.wrap(fromA), ByteBuffer.wrap(b.command(0, RawInitiator.read16(7, 1), null, BLOCK).data()));

            assertGood(a.command(0, prOut(0x02, 0x1), prParameters(keyA, 0)), "A: RELEASE");
            byte[] fromB = SessionReinstatementTest.pattern(BLOCK, 0x0b);
            RawInitiator.Result after = b.command(0, RawInitiator.write16(7, 1), fromB, 0);
            assertTrue(after.good(), "B writes once A released: " + after);
            assertEquals(ByteBuffer.wrap(fromB), ByteBuffer.wrap(a.command(0, RawInitiator.read16(7, 1), null, BLOCK).data()));

            assertGood(a.command(0, prOut(0x00, 0), prParameters(keyA, 0)), "A: unregister");
            a.logout();
            b.logout();
        }
    }

    private static void assertGood(RawInitiator.Result r, String what) {
        assertTrue(r.good(), what + ": " + r);
    }

    /** COMPARE AND WRITE (SBC-3 §5.2): verify data then write data, {@code blocks} of each. */
    static byte[] compareAndWrite(long lba, int blocks) {
        ByteBuffer b = ByteBuffer.allocate(16);
        b.put(0, (byte) 0x89).putLong(2, lba).put(13, (byte) blocks);
        return b.array();
    }

    /** PERSISTENT RESERVE OUT (SPC-4 §6.16) with a 24-byte basic parameter list. */
    static byte[] prOut(int serviceAction, int type) {
        ByteBuffer b = ByteBuffer.allocate(10);
        b.put(0, (byte) 0x5f).put(1, (byte) serviceAction).put(2, (byte) type).putInt(5, 24);
        return b.array();
    }

    static byte[] prParameters(long reservationKey, long serviceActionKey) {
        return ByteBuffer.allocate(24).putLong(0, reservationKey).putLong(8, serviceActionKey).array();
    }
}
