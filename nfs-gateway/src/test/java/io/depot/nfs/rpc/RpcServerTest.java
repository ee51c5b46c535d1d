package io.depot.nfs.rpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The RPC server over real loopback sockets: dispatch, every refusal, limits, ordering, DRC. */
class RpcServerTest {
    static final int PROG = 0x20000099;
    static final int SYS_ONLY_PROG = 0x2000009a;
    static final Duration T = Duration.ofSeconds(10);

    private RpcServer server;
    private InetSocketAddress address;
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger maxRunning = new AtomicInteger();
    private final AtomicInteger nonIdempotentRuns = new AtomicInteger();
    private final AtomicReference<RpcCall> lastCall = new AtomicReference<>();
    private volatile CountDownLatch gate = new CountDownLatch(0);
    private final ConcurrentLinkedQueue<Integer> order = new ConcurrentLinkedQueue<>();
    private final java.util.concurrent.LinkedBlockingQueue<RpcDeferredHandler.Release> releases = new java.util.concurrent.LinkedBlockingQueue<>();
    private final AtomicInteger deferredRuns = new AtomicInteger();

    @BeforeAll
    static void paranoid() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    @BeforeEach
    void start() throws IOException {
        server = RpcServer.builder().maxRecordSize(64 * 1024).maxOutstandingPerConnection(4).ioThreads(2).build();
        server.register(RpcProgram.builder(PROG, "test")
                .procedure(1, 0, "NULL", (c, a, r) -> a.expectEnd())
                .procedure(2, 0, "NULL", (c, a, r) -> a.expectEnd())
                .procedure(2, 1, "ECHO", (c, a, r) -> {
                    lastCall.set(c);
                    byte[] b = a.readOpaque(1024);
                    a.expectEnd();
                    r.writeOpaque(b);
                })
                .procedure(2, 2, "BLOCK", (c, a, r) -> {
                    int tag = a.readInt();
                    a.expectEnd();
                    int now = running.incrementAndGet();
                    maxRunning.accumulateAndGet(now, Math::max);
                    try {
                        if (tag != 0) { // tag 0 answers at once
                            assertTrue(gate.await(20, TimeUnit.SECONDS));
                        }
                    } finally {
                        running.decrementAndGet();
                    }
                    order.add(tag);
                    r.writeInt(tag);
                })
                .procedure(2, 3, "FAIL", (c, a, r) -> {
                    throw new IllegalStateException("handler bug");
                })
                .procedure(2, 4, "TOOWEAK", (c, a, r) -> {
                    throw RpcErrorException.authError(Rpc.AUTH_TOOWEAK, "export demands AUTH_SYS");
                })
                .procedure(2, 6, "QUICK", (c, a, r) -> {
                    a.readInt();
                    a.expectEnd();
                    r.writeString(Thread.currentThread().isVirtual() ? "worker" : "not-a-worker");
                }, (c, a, r) -> {
                    int n = a.readInt(); // even: answered here; odd: declined, the worker answers
                    a.expectEnd();
                    if (n % 2 != 0) {
                        return false;
                    }
                    r.writeString(Thread.currentThread().isVirtual() ? "quick-on-a-worker" : "quick");
                    return true;
                })
                .nonIdempotentProcedure(2, 5, "CREATE", (c, a, r) -> {
                    a.readInt();
                    r.writeInt(nonIdempotentRuns.incrementAndGet());
                })
                .nonIdempotentProcedure(2, 7, "DEFERRED", (c, a, r) -> {
                    a.readInt();
                    a.expectEnd();
                    r.writeString(Thread.currentThread().isVirtual() ? "worker" : "not-a-worker");
                }, (c, a, r) -> {
                    int n = a.readInt(); // 1: declined; otherwise made here, the reply waits for the test's release
                    a.expectEnd();
                    if (n == 1) {
                        return null;
                    }
                    deferredRuns.incrementAndGet();
                    r.writeString("deferred-" + n);
                    return releases::add;
                })
                .build());
        server.register(RpcProgram.builder(SYS_ONLY_PROG, "sys-only")
                .acceptedFlavors(Rpc.AUTH_SYS)
                .procedure(1, 0, "NULL", (c, a, r) -> {})
                .procedure(1, 1, "GET", (c, a, r) -> r.writeInt(42))
                .build());
        address = server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @AfterEach
    void stop() {
        gate.countDown();
        server.close();
    }

    private RpcClient client() throws IOException {
        return RpcClient.connect(address, T);
    }

    private static RpcReply roundTrip(RpcClient c, byte[] record) throws IOException {
        c.sendRecord(record);
        return RpcReply.parse(Unpooled.wrappedBuffer(c.receiveRecord()));
    }

    @Test
    void callsAreAnsweredWithTheirResults() throws IOException {
        try (RpcClient c = client()) {
            c.credential(new Credential.Sys(1, "host-a", 1000, 100, new int[] {4, 5}));
            RpcReply r = c.call(PROG, 2, 1, w -> w.writeOpaque(new byte[] {1, 2, 3}));
            assertTrue(r.success(), r.toString());
            assertArrayEquals(new byte[] {1, 2, 3}, r.results().readOpaque(16));
            RpcCall seen = lastCall.get();
            Credential.Sys sys = (Credential.Sys) seen.credential();
            assertEquals(1000, sys.uid());
            assertEquals(100, sys.gid());
            assertArrayEquals(new int[] {4, 5}, sys.gids());
            assertEquals("host-a", sys.machineName());
            assertEquals(InetAddress.getLoopbackAddress(), seen.remote().getAddress());
        }
    }

    @Test
    void aFastPathAnswersOnTheEventLoopOrHandsTheCallToAWorker() throws IOException {
        try (RpcClient c = client()) {
            RpcReply even = c.call(PROG, 2, 6, w -> w.writeInt(2));
            assertTrue(even.success(), even.toString());
            assertEquals("quick", even.results().readString(64));
            RpcReply odd = c.call(PROG, 2, 6, w -> w.writeInt(3));
            assertTrue(odd.success(), odd.toString());
            assertEquals("worker", odd.results().readString(64), "declined: the arguments are read again on a worker");
            RpcReply garbage = c.call(PROG, 2, 6, w -> w.writeInt(2).writeInt(9)); // trailing bytes
            assertEquals(Rpc.GARBAGE_ARGS, garbage.acceptStat());
            RpcReply shortArgs = c.call(PROG, 2, 6, null);
            assertEquals(Rpc.GARBAGE_ARGS, shortArgs.acceptStat());
        }
        assertThrows(IllegalArgumentException.class, () -> new RpcProcedure(9, "X", (c, a, r) -> { }, false, (c, a, r) -> true),
                "a non-idempotent procedure has no fast path (the duplicate request cache runs on workers)");
    }

    @Test
    void programVersionAndProcedureErrors() throws IOException {
        try (RpcClient c = client()) {
            RpcReply r = c.call(0x20000111, 1, 0, null);
            assertTrue(r.accepted());
            assertEquals(Rpc.PROG_UNAVAIL, r.acceptStat());

            r = c.call(PROG, 7, 0, null);
            assertEquals(Rpc.PROG_MISMATCH, r.acceptStat());
            assertEquals(1, r.low());
            assertEquals(2, r.high());

            r = c.call(PROG, 2, 99, null);
            assertEquals(Rpc.PROC_UNAVAIL, r.acceptStat());

            r = c.call(PROG, 1, 1, null); // ECHO exists in version 2 only
            assertEquals(Rpc.PROC_UNAVAIL, r.acceptStat());

            r = c.call(PROG, 2, 1, w -> w.writeInt(5000)); // opaque length beyond its cap
            assertEquals(Rpc.GARBAGE_ARGS, r.acceptStat());

            r = c.call(PROG, 2, 1, w -> w.writeOpaque(new byte[3]).writeInt(1)); // trailing bytes
            assertEquals(Rpc.GARBAGE_ARGS, r.acceptStat());

            r = c.call(PROG, 2, 3, null);
            assertEquals(Rpc.SYSTEM_ERR, r.acceptStat());

            r = c.call(PROG, 2, 4, null);
            assertFalse(r.accepted());
            assertEquals(Rpc.AUTH_TOOWEAK, r.authStat());

            // and the connection still serves after all of these
            assertTrue(c.call(PROG, 2, 0, null).success());
        }
    }

    @Test
    void rpcVersionOtherThanTwoIsRpcMismatch() throws IOException {
        try (RpcClient c = client()) {
            RpcReply r = roundTrip(c, Calls.call(77, 3, PROG, 2, 0, 0, new byte[0], 0, new byte[0], new byte[0]));
            assertEquals(77, r.xid());
            assertFalse(r.accepted());
            assertEquals(Rpc.RPC_MISMATCH, r.rejectStat());
            assertEquals(2, r.low());
            assertEquals(2, r.high());
        }
    }

    @Test
    void credentialsOutsideTheirLimitsAreBadCred() throws IOException {
        try (RpcClient c = client()) {
            byte[] none = new byte[0];
            // 16 aux gids is the maximum; 17 is refused
            assertTrue(roundTrip(c, Calls.call(1, 2, PROG, 2, 0, Rpc.AUTH_SYS, Calls.authSysBody(0, 0, 16, 255), 0, none, none)).success());
            assertAuth(Rpc.AUTH_BADCRED, roundTrip(c, Calls.call(2, 2, PROG, 2, 0, Rpc.AUTH_SYS, Calls.authSysBody(0, 0, 17, 4), 0, none, none)));
            // machine name of 256 bytes
            assertAuth(Rpc.AUTH_BADCRED, roundTrip(c, Calls.call(3, 2, PROG, 2, 0, Rpc.AUTH_SYS, Calls.authSysBody(0, 0, 0, 256), 0, none, none)));
            // a credential body over 400 bytes
            assertAuth(Rpc.AUTH_BADCRED, roundTrip(c, Calls.call(4, 2, PROG, 2, 0, Rpc.AUTH_SYS, new byte[404], 0, none, none)));
            // an AUTH_SYS body with bytes after the gids
            byte[] trailing = Calls.authSysBody(0, 0, 1, 4);
            byte[] longer = java.util.Arrays.copyOf(trailing, trailing.length + 4);
            assertAuth(Rpc.AUTH_BADCRED, roundTrip(c, Calls.call(5, 2, PROG, 2, 0, Rpc.AUTH_SYS, longer, 0, none, none)));
            // RPCSEC_GSS (6), AUTH_DH (3): not spoken here
            assertAuth(Rpc.AUTH_BADCRED, roundTrip(c, Calls.call(6, 2, PROG, 2, 0, 6, new byte[8], 0, none, none)));
            assertAuth(Rpc.AUTH_BADCRED, roundTrip(c, Calls.call(7, 2, PROG, 2, 0, 3, new byte[8], 0, none, none)));
            // a verifier that is not AUTH_NONE, or too long
            assertAuth(Rpc.AUTH_BADVERF, roundTrip(c, Calls.call(8, 2, PROG, 2, 0, 0, none, Rpc.AUTH_SYS, new byte[4], none)));
            assertAuth(Rpc.AUTH_BADVERF, roundTrip(c, Calls.call(9, 2, PROG, 2, 0, 0, none, 0, new byte[408], none)));
        }
    }

    private static void assertAuth(int stat, RpcReply r) {
        assertFalse(r.accepted(), r.toString());
        assertEquals(Rpc.AUTH_ERROR, r.rejectStat(), r.toString());
        assertEquals(stat, r.authStat(), r.toString());
    }

    @Test
    void aProgramThatDemandsAuthSysRefusesAuthNoneAsTooWeakButNotForNull() throws IOException {
        try (RpcClient c = client()) {
            assertTrue(c.call(SYS_ONLY_PROG, 1, 0, null).success(), "NULL is a ping, any flavor");
            assertAuth(Rpc.AUTH_TOOWEAK, c.call(SYS_ONLY_PROG, 1, 1, null));
            c.credential(new Credential.Sys(0, "h", 0, 0, new int[0]));
            RpcReply r = c.call(SYS_ONLY_PROG, 1, 1, null);
            assertTrue(r.success());
            assertEquals(42, r.results().readInt());
        }
    }

    @Test
    void truncatedCallHeadersAreGarbageArgsAndNonCallsAreDropped() throws IOException {
        try (RpcClient c = client()) {
            byte[] full = Calls.sysCall(55, PROG, 2, 0, new byte[0]);
            for (int len = 12; len < full.length; len += 4) {
                RpcReply r = roundTrip(c, java.util.Arrays.copyOf(full, len));
                assertEquals(55, r.xid());
                assertEquals(Rpc.GARBAGE_ARGS, r.acceptStat(), "header cut at " + len);
            }
            // a REPLY message and a 4-byte record get no answer; the next call does
            c.sendRecord(Calls.ints(9, Rpc.REPLY, 0, 0, 0, 0));
            c.sendRecord(Calls.ints(9));
            RpcReply r = roundTrip(c, Calls.call(56, PROG, 2, 0, new byte[0]));
            assertEquals(56, r.xid());
            assertTrue(r.success());
        }
    }

    @Test
    void aTooLargeRecordClosesThatConnectionOnly() throws IOException {
        try (RpcClient bad = client(); RpcClient good = client()) {
            bad.sendRaw(ByteBuffer.allocate(8).putInt(0x8000_0000 | (1 << 20)).putInt(1).flip());
            assertThrows(EOFException.class, bad::receiveRecord);
            assertTrue(good.call(PROG, 2, 0, null).success());
        }
    }

    @Test
    void repliesLeaveInCompletionOrder() throws Exception {
        gate = new CountDownLatch(1);
        try (RpcClient c = client()) {
            c.sendRecord(Calls.call(1, PROG, 2, 2, Calls.ints(1))); // blocks until the gate opens
            c.sendRecord(Calls.call(2, PROG, 2, 2, Calls.ints(0))); // answers at once
            RpcReply first = RpcReply.parse(Unpooled.wrappedBuffer(c.receiveRecord()));
            assertEquals(2, first.xid(), "the quick call is answered while the slow one still runs");
            gate.countDown();
            RpcReply second = RpcReply.parse(Unpooled.wrappedBuffer(c.receiveRecord()));
            assertEquals(1, second.xid());
            assertEquals(1, second.results().readInt());
        }
    }

    @Test
    void outstandingCallsPerConnectionAreLimitedAndReadingResumes() throws Exception {
        gate = new CountDownLatch(1);
        int calls = 20;
        try (RpcClient c = client()) {
            ByteBuffer all = ByteBuffer.allocate(calls * 64);
            for (int i = 1; i <= calls; i++) {
                byte[] rec = Calls.call(i, PROG, 2, 2, Calls.ints(i));
                all.putInt(0x8000_0000 | rec.length).put(rec);
            }
            c.sendRaw(all.flip()); // all twenty in one write: they arrive in one or two reads
            while (running.get() < 4) {
                Thread.onSpinWait();
            }
            // the limit is 4: no fifth handler may start while four are blocked
            assertEquals(4, running.get());
            gate.countDown();
            Set<Integer> xids = new HashSet<>();
            for (int i = 0; i < calls; i++) {
                xids.add(RpcReply.parse(Unpooled.wrappedBuffer(c.receiveRecord())).xid());
            }
            assertEquals(calls, xids.size());
            assertEquals(4, maxRunning.get(), "never more than the limit at once");
        }
    }

    /** The release a deferred call's gate was given, once the event loop made the call. */
    private RpcDeferredHandler.Release nextRelease() throws InterruptedException {
        RpcDeferredHandler.Release r = releases.poll(10, TimeUnit.SECONDS);
        assertTrue(r != null, "the deferred fast path never ran");
        return r;
    }

    @Test
    void aDeferredReplyLeavesOnlyOnceItsGateOpensWhileLaterCallsAreAnswered() throws Exception {
        try (RpcClient c = client()) {
            c.sendRecord(Calls.sysCall(0x5001, PROG, 2, 7, Calls.ints(2)));
            RpcDeferredHandler.Release release = nextRelease();
            // the connection goes on meanwhile: a later call's reply comes first
            RpcReply echo = roundTrip(c, Calls.sysCall(0x5002, PROG, 2, 1, new byte[] {0, 0, 0, 1, 7, 0, 0, 0}));
            assertEquals(0x5002, echo.xid(), "the held reply must not leave before its gate opens");
            release.release(true);
            RpcReply deferred = RpcReply.parse(Unpooled.wrappedBuffer(c.receiveRecord()));
            assertEquals(0x5001, deferred.xid());
            assertTrue(deferred.success(), deferred.toString());
            assertEquals("deferred-2", deferred.results().readString(64));
            // declined: the worker makes the call, as without a fast path
            RpcReply declined = c.call(PROG, 2, 7, w -> w.writeInt(1));
            assertEquals("worker", declined.results().readString(64));
            RpcReply garbage = c.call(PROG, 2, 7, w -> w.writeInt(2).writeInt(9)); // trailing bytes
            assertEquals(Rpc.GARBAGE_ARGS, garbage.acceptStat());
        }
        assertEquals(1, deferredRuns.get());
    }

    @Test
    void aDeferredReplyThatMustNotBeSentClosesItsConnection() throws Exception {
        try (RpcClient c = client()) {
            c.sendRecord(Calls.sysCall(0x5101, PROG, 2, 7, Calls.ints(3)));
            nextRelease().release(false);
            assertThrows(IOException.class, c::receiveRecord, "no reply, and the client sees the connection go");
        }
        try (RpcClient c = client()) { // the server goes on; the same xid is not remembered as answered
            c.sendRecord(Calls.sysCall(0x5101, PROG, 2, 7, Calls.ints(3)));
            nextRelease().release(true);
            assertEquals("deferred-3", RpcReply.parse(Unpooled.wrappedBuffer(c.receiveRecord())).results().readString(64));
        }
        assertEquals(2, deferredRuns.get());
    }

    @Test
    void aDeferredCallsRetransmissionGetsTheFirstReplyFromTheCache() throws Exception {
        byte[] call = Calls.sysCall(0x5201, PROG, 2, 7, Calls.ints(4));
        byte[] firstReply;
        try (RpcClient c = client()) {
            c.sendRecord(call);
            nextRelease().release(true);
            firstReply = c.receiveRecord();
        }
        try (RpcClient c = client()) {
            c.sendRecord(call);
            assertArrayEquals(firstReply, c.receiveRecord());
        }
        assertEquals(1, deferredRuns.get(), "the retransmission was answered from the cache, not made again");
        assertThrows(IllegalArgumentException.class, () -> new RpcProcedure(9, "X", (c, a, r) -> { }, true, null, false, (c, a, r) -> null),
                "a deferred fast path is for non-idempotent procedures");
    }

    @Test
    void aNonIdempotentRetransmissionOnANewConnectionGetsTheFirstReply() throws IOException {
        byte[] call = Calls.sysCall(0x1234, PROG, 2, 5, Calls.ints(9));
        byte[] firstReply;
        try (RpcClient c = client()) {
            c.sendRecord(call);
            firstReply = c.receiveRecord();
        }
        try (RpcClient c = client()) { // the retransmission comes from another source port
            c.sendRecord(call);
            assertArrayEquals(firstReply, c.receiveRecord());
            // a new xid executes again
            RpcReply r = roundTrip(c, Calls.sysCall(0x1235, PROG, 2, 5, Calls.ints(9)));
            assertEquals(2, r.results().readInt());
        }
        assertEquals(2, nonIdempotentRuns.get());
    }

    @Test
    void closingWithCallsInFlightReleasesEverything() throws Exception {
        gate = new CountDownLatch(1);
        RpcClient c = client();
        for (int i = 1; i <= 8; i++) {
            c.sendRecord(Calls.call(i, PROG, 2, 2, Calls.ints(i)));
        }
        while (running.get() < 4) {
            Thread.onSpinWait();
        }
        c.close(); // four running, four waiting in the queue
        gate.countDown();
        List<Integer> none = new ArrayList<>(order);
        assertTrue(none.size() <= 8);
        // the server still serves new connections
        try (RpcClient d = client()) {
            assertTrue(d.call(PROG, 2, 0, null).success());
        }
    }
}
