package io.depot.iscsi.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Session identity (RFC 7143 §4.4.3, §6.3.5): a login with the initiator name and ISID of a live
 * session and TSIH 0 reinstates it, so the old connection is closed by the target and the new one
 * works; the same initiator name with another ISID is another session (another I_T nexus), and
 * both run side by side, as during a live migration where source and destination host use the
 * same initiator name.
 */
@Timeout(60)
class SessionReinstatementTest extends LiveTargetTest {
    private static final String INITIATOR = "iqn.2026-11.io.depot.test:host";
    private static final long ISID_A = 0x80_1234_5600_01L;
    private static final long ISID_B = 0x80_1234_5600_02L;

    @Test
    void secondLoginWithTheSameIsidClosesTheFirstConnectionAndWorks() throws Exception {
        try (RawInitiator first = RawInitiator.login(portal, INITIATOR, ISID_A, TargetFixture.IQN)) {
            first.clearUnitAttentions();
            byte[] block = pattern(512, 0x11);
            assertTrue(first.command(0, RawInitiator.write16(8, 1), block, 0).good(), "write on the first session");

            try (RawInitiator second = RawInitiator.login(portal, INITIATOR, ISID_A, TargetFixture.IQN)) {
                assertEquals(first.tsih(), second.tsih(), "reinstatement keeps the session's TSIH (SessionRegistry)");
                // the first connection is closed by the target: the next read ends (EOF or reset), never times out
                IOException closed = assertThrows(IOException.class, () -> first.ping(new byte[0]),
                        "the reinstated session's connection must be closed");
                assertTrue(closed instanceof EOFException || closed instanceof SocketException,
                        "closed by the target, not a timeout: " + closed);

                second.clearUnitAttentions();
                RawInitiator.Result read = second.command(0, RawInitiator.read16(8, 1), null, 512);
                assertTrue(read.good(), "read on the new session: " + read);
                assertArrayEquals(block, read.data(), "the new session sees what the old one wrote");
                assertTrue(second.command(0, RawInitiator.write16(9, 1), pattern(512, 0x22), 0).good());
                second.logout();
            }
        }
    }

    @Test
    void sameInitiatorNameWithDifferentIsidsRunsTwoSessionsConcurrently() throws Exception {
        try (RawInitiator source = RawInitiator.login(portal, INITIATOR, ISID_A, TargetFixture.IQN);
             RawInitiator destination = RawInitiator.login(portal, INITIATOR, ISID_B, TargetFixture.IQN)) {
            assertNotEquals(source.tsih(), destination.tsih(), "two sessions, two TSIHs");
            source.clearUnitAttentions();
            destination.clearUnitAttentions();
            // interleave I/O on both: neither login disturbed the other
            for (int i = 0; i < 20; i++) {
                byte[] a = pattern(4096, i);
                byte[] b = pattern(4096, 100 + i);
                assertTrue(source.command(0, RawInitiator.write16(i * 8L, 8), a, 0).good(), "source write " + i);
                assertTrue(destination.command(0, RawInitiator.write16(1000 + i * 8L, 8), b, 0).good(), "destination write " + i);
                assertArrayEquals(b, destination.command(0, RawInitiator.read16(1000 + i * 8L, 8), null, 4096).data());
                assertArrayEquals(a, destination.command(0, RawInitiator.read16(i * 8L, 8), null, 4096).data(),
                        "the destination reads what the source wrote");
                assertArrayEquals(b, source.command(0, RawInitiator.read16(1000 + i * 8L, 8), null, 4096).data(),
                        "the source reads what the destination wrote");
            }
            assertArrayEquals(new byte[] {1, 2, 3}, source.ping(new byte[] {1, 2, 3}), "source session still alive");
            source.logout();
            assertArrayEquals(new byte[] {4}, destination.ping(new byte[] {4}), "destination survives the source's logout");
            destination.logout();
        }
    }

    static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) seed);
        for (int i = 0; i < length; i += 64) {
            b[i] = (byte) (i >>> 6);
        }
        return b;
    }
}
