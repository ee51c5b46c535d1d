package io.depot.iscsi.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.iscsi.fabric.CommandObservers;
import io.depot.iscsi.fabric.IscsiServer;
import io.depot.iscsi.scsi.OpcodeNames;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The target's metrics seam over a real login: every answered command reaches the observer of its
 * opcode once, GOOD or not, with a positive latency; observers are asked for once per opcode; the
 * session and connection counts show the login.
 */
class CommandObserverTest {
    @TempDir
    Path dir;

    @Test
    void answeredCommandsAreReportedByOpcodeAndSessionsAreCounted() throws Exception {
        Map<Integer, AtomicLong> good = new ConcurrentHashMap<>();
        Map<Integer, AtomicLong> bad = new ConcurrentHashMap<>();
        AtomicLong nanos = new AtomicLong();
        List<Integer> resolved = new CopyOnWriteArrayList<>();
        CommandObservers counting = opcode -> {
            resolved.add(opcode);
            AtomicLong g = good.computeIfAbsent(opcode, k -> new AtomicLong());
            AtomicLong b = bad.computeIfAbsent(opcode, k -> new AtomicLong());
            return (ns, ok) -> {
                (ok ? g : b).incrementAndGet();
                nanos.addAndGet(ns);
            };
        };
        try (TargetFixture target = new TargetFixture(dir, 64L << 20, 0)) {
            IscsiServer server = target.service.server();
            assertEquals(0, server.sessionCount());
            try (RawInitiator i = RawInitiator.login(target.service.address(), "iqn.2026-11.test:observer", 0x23d0_0000_0042L,
                    TargetFixture.IQN)) {
                i.clearUnitAttentions();
                assertEquals(1, server.sessionCount());
                assertEquals(1, server.connectionCount());
                server.observeCommands(counting);
                for (int n = 0; n < 3; n++) {
                    assertTrue(i.command(0, RawInitiator.write16(n * 8L, 8), new byte[4096]).good());
                }
                assertTrue(i.command(0, RawInitiator.read16(0, 8), null, 4096).good());
                assertTrue(i.command(0, RawInitiator.read16(8, 8), null, 4096).good());
                // beyond the last block: CHECK CONDITION, LBA OUT OF RANGE, reported as not GOOD
                assertFalse(i.command(0, RawInitiator.read16(1L << 30, 1), null, 512).good());
            }
            assertEquals(3, good.get(0x8a).get(), "WRITE(16)");
            assertEquals(0, bad.get(0x8a).get());
            assertEquals(2, good.get(0x88).get(), "READ(16)");
            assertEquals(1, bad.get(0x88).get());
            assertEquals(List.of(0x8a, 0x88), resolved, "each opcode's observer is asked for once");
            assertTrue(nanos.get() > 0);
            assertEquals("WRITE(16)", OpcodeNames.of(0x8a));
            assertEquals("SERVICE ACTION IN(16)", OpcodeNames.of(0x9e));
            assertEquals("0xFF", OpcodeNames.of(0xff));
        }
    }
}
