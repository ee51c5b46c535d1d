package io.depot.nfs.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dispatcher's metrics seam over real loopback calls: each executed call reaches the observer
 * of its program, version and procedure with a positive latency; observers are asked for once per
 * procedure, not per call; calls refused before a handler runs are not reported; a new set of
 * observers replaces the old one.
 */
class ProcedureObserverTest {
    private static final int PROG = 0x20000077;

    private RpcServer server;
    private InetSocketAddress address;
    /** "version/procedure name" -> completed calls and their summed nanoseconds */
    private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> nanos = new ConcurrentHashMap<>();
    private final List<String> resolved = new CopyOnWriteArrayList<>();

    private final ProcedureObservers counting = (program, version, procedure) -> {
        String key = program.name() + " v" + version + " " + procedure.name();
        resolved.add(key);
        AtomicLong n = calls.computeIfAbsent(key, k -> new AtomicLong());
        AtomicLong t = nanos.computeIfAbsent(key, k -> new AtomicLong());
        return ns -> {
            n.incrementAndGet();
            t.addAndGet(ns);
        };
    };

    @BeforeEach
    void start() throws IOException {
        server = RpcServer.builder().build();
        server.register(RpcProgram.builder(PROG, "test")
                .procedure(1, 0, "NULL", (c, a, r) -> a.expectEnd())
                .procedure(2, 0, "NULL", (c, a, r) -> a.expectEnd())
                .procedure(2, 1, "ECHO", (c, a, r) -> r.writeInt(a.readInt()))
                .procedure(2, 3, "FAIL", (c, a, r) -> {
                    throw new IllegalStateException("handler bug");
                })
                .procedure(2, 4, "QUICK", (c, a, r) -> r.writeInt(a.readInt()), (c, a, r) -> {
                    int n = a.readInt(); // even: answered on the event loop; odd: declined, a worker answers
                    if (n % 2 != 0) {
                        return false;
                    }
                    r.writeInt(n);
                    return true;
                })
                .build());
        address = server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void callsAnsweredOnTheEventLoopAreReportedOnceToo() throws IOException {
        server.dispatcher().observe(counting);
        try (RpcClient c = RpcClient.connect(address, Duration.ofSeconds(10))) {
            for (int n = 0; n < 5; n++) {
                int v = n;
                assertEquals(v, c.call(PROG, 2, 4, w -> w.writeInt(v)).results().readInt());
            }
        }
        assertEquals(5, calls.get("test v2 QUICK").get(), "3 answered on the event loop, 2 declined to a worker");
        assertTrue(nanos.get("test v2 QUICK").get() > 0);
    }

    @Test
    void everyExecutedCallIsReportedToItsProcedureOnce() throws IOException {
        server.dispatcher().observe(counting);
        try (RpcClient c = RpcClient.connect(address, Duration.ofSeconds(10))) {
            for (int i = 0; i < 5; i++) {
                int n = i;
                RpcReply r = c.call(PROG, 2, 1, w -> w.writeInt(n));
                assertTrue(r.success(), r.toString());
                assertEquals(n, r.results().readInt());
            }
            assertTrue(c.call(PROG, 1, 0, null).success());
            assertTrue(c.call(PROG, 2, 0, null).success());
            assertEquals(Rpc.SYSTEM_ERR, c.call(PROG, 2, 3, null).acceptStat()); // ran and failed: reported
            assertEquals(Rpc.PROC_UNAVAIL, c.call(PROG, 2, 9, null).acceptStat()); // no handler ran: not reported
            assertEquals(Rpc.PROG_MISMATCH, c.call(PROG, 5, 0, null).acceptStat());
            assertEquals(Rpc.GARBAGE_ARGS, c.call(PROG, 2, 1, null).acceptStat()); // handler ran, args bad: reported
        }
        assertEquals(6, calls.get("test v2 ECHO").get());
        assertEquals(1, calls.get("test v1 NULL").get());
        assertEquals(1, calls.get("test v2 NULL").get());
        assertEquals(1, calls.get("test v2 FAIL").get());
        assertEquals(4, calls.size(), "only procedures that ran: " + calls.keySet());
        assertTrue(nanos.get("test v2 ECHO").get() > 0);
        assertEquals(List.of("test v2 ECHO", "test v1 NULL", "test v2 NULL", "test v2 FAIL"), resolved,
                "each procedure's observer is asked for once, at its first call");

        // a new set of observers replaces the old one, resolving afresh
        server.dispatcher().observe(ProcedureObservers.NONE);
        try (RpcClient c = RpcClient.connect(address, Duration.ofSeconds(10))) {
            assertTrue(c.call(PROG, 2, 1, w -> w.writeInt(1)).success());
        }
        assertEquals(6, calls.get("test v2 ECHO").get(), "no longer observed");
    }
}
