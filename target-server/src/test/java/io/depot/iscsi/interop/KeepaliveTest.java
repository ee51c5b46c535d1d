package io.depot.iscsi.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.iscsi.IscsiService;
import io.depot.iscsi.fabric.IscsiSettings;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Target-initiated NOP-In keepalive (RFC 7143 §11.19): an idle session is pinged; an initiator
 * that answers stays connected, one that stays silent past the timeout is dropped.
 */
class KeepaliveTest {
    private static final String IQN = "iqn.2026-11.io.depot:keepalive";

    @TempDir Path dir;

    private static boolean isTargetPing(RawInitiator.Pdu p) {
        return p.opcode() == RawInitiator.NOP_IN && p.word(16) == RawInitiator.RESERVED && p.word(20) != RawInitiator.RESERVED;
    }

    @Test
    void idleSessionsArePingedAndSilentOnesDropped() throws Exception {
        try (Pool pool = Pool.create(dir.resolve("pool"), PoolOptions.ofCapacity(256L << 20));
             IscsiService service = new IscsiService(pool)) {
            service.createTarget(IQN, null);
            service.mapVolume(IQN, 0, pool.createVolume("v", 16L << 20));
            service.start(IscsiSettings.defaults().withPortal(new InetSocketAddress("127.0.0.1", 0))
                    .withNop(Duration.ofMillis(300), Duration.ofMillis(900)));

            // an initiator that answers every ping keeps its session through several intervals
            try (RawInitiator good = RawInitiator.login(service.address(), "iqn.2026-11.test:answers", 1, IQN)) {
                for (int ping = 0; ping < 4; ping++) {
                    RawInitiator.Pdu p = good.receiveRaw(); // blocks until the target speaks: only a ping can come
                    assertTrue(isTargetPing(p), "expected a NOP-In ping, got " + p);
                    byte[] answer = RawInitiator.nopOut(RawInitiator.RESERVED, 0, p.word(24));
                    ByteBuffer.wrap(answer).putInt(20, p.word(20)); // echo the target transfer tag
                    good.send(answer, new byte[0]);
                }
                assertEquals(1, service.server().sessionsInfo().size());
                long[] capacity = good.capacity(); // and the session still works
                assertNotEquals(0, capacity[0]);
            }

            // one that never answers is dropped after the interval plus the timeout
            try (RawInitiator silent = RawInitiator.login(service.address(), "iqn.2026-11.test:silent", 2, IQN)) {
                RawInitiator.Pdu first = silent.receiveRaw();
                assertTrue(isTargetPing(first), "expected a NOP-In ping, got " + first);
                long start = System.nanoTime();
                IOException closed = assertThrows(IOException.class, () -> {
                    while (true) {
                        silent.receiveRaw(); // later pings are not sent while one is unanswered; EOF ends this
                    }
                });
                assertTrue(closed instanceof EOFException || closed instanceof SocketException, closed.toString());
                long waitedMs = (System.nanoTime() - start) / 1_000_000;
                assertTrue(waitedMs < 5_000, "the silent connection lived " + waitedMs + " ms after its first ping");
            }
        }
    }
}
