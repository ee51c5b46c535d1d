package io.depot.nfs.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Random and mutated calls against a live server: every record is answered with a well-formed
 * reply or dropped, broken framing closes only its own connection, nothing is logged as an
 * error, and a bystander connection keeps getting correct answers throughout.
 */
class RpcFuzzTest {
    private static final int PROG = 0x20000077;
    private static final Duration T = Duration.ofSeconds(10);

    private RpcServer server;
    private InetSocketAddress address;
    private ListAppender<ILoggingEvent> logs;

    @BeforeAll
    static void paranoid() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    @BeforeEach
    void start() throws IOException {
        logs = new ListAppender<>();
        logs.start();
        ((Logger) LoggerFactory.getLogger("io.depot.nfs")).addAppender(logs);
        server = RpcServer.builder().maxRecordSize(8192).maxOutstandingPerConnection(8).ioThreads(2).build();
        server.register(RpcProgram.builder(PROG, "fuzz")
                .procedure(1, 0, "NULL", (c, a, r) -> a.expectEnd())
                .procedure(1, 1, "ECHO", (c, a, r) -> {
                    String s = a.readString(255);
                    int n = a.readArrayLength(16, 8);
                    long sum = 0;
                    for (int i = 0; i < n; i++) {
                        sum += a.readHyper();
                    }
                    if (a.readOptional()) {
                        sum += a.readInt();
                    }
                    a.expectEnd();
                    r.writeString(s).writeHyper(sum);
                })
                .nonIdempotentProcedure(1, 2, "MAKE", (c, a, r) -> {
                    r.writeOpaque(a.readOpaque(64));
                    a.expectEnd();
                })
                .acceptedFlavors(Rpc.AUTH_SYS)
                .build());
        address = server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @AfterEach
    void stop() {
        server.close();
        ((Logger) LoggerFactory.getLogger("io.depot.nfs")).detachAppender(logs);
    }

    private static byte[] echoArgs(Random rnd) {
        var b = Unpooled.buffer();
        byte[] s = new byte[rnd.nextInt(20)];
        rnd.nextBytes(s);
        b.writeInt(s.length).writeBytes(s).writeZero(((s.length + 3) & ~3) - s.length);
        int n = rnd.nextInt(4);
        b.writeInt(n);
        for (int i = 0; i < n; i++) {
            b.writeLong(rnd.nextLong());
        }
        b.writeInt(1).writeInt(7);
        return Calls.bytes(b);
    }

    private static byte[] validCall(Random rnd, int xid) {
        return switch (rnd.nextInt(3)) {
            case 0 -> Calls.sysCall(xid, PROG, 1, 0, new byte[0]);
            case 1 -> Calls.sysCall(xid, PROG, 1, 1, echoArgs(rnd));
            default -> Calls.sysCall(xid, PROG, 1, 2, Calls.ints(4, rnd.nextInt()));
        };
    }

    private static byte[] mutate(Random rnd, byte[] call) {
        byte[] m = call.clone();
        switch (rnd.nextInt(5)) {
            case 0 -> { // flip a few bytes
                for (int i = 1 + rnd.nextInt(6); i > 0; i--) {
                    m[rnd.nextInt(m.length)] ^= (byte) (1 + rnd.nextInt(255));
                }
            }
            case 1 -> m = Arrays.copyOf(m, rnd.nextInt(m.length)); // truncate
            case 2 -> { // a length word replaced with something large or negative
                int at = rnd.nextInt(m.length / 4) * 4;
                ByteBuffer.wrap(m).putInt(at, rnd.nextBoolean() ? rnd.nextInt() : 0x7fff_fff0 + rnd.nextInt(16));
            }
            case 3 -> m = Arrays.copyOf(m, m.length + 4 * (1 + rnd.nextInt(4))); // trailing garbage
            default -> { // entirely random, with a call-shaped start half the time
                m = new byte[rnd.nextInt(120)];
                rnd.nextBytes(m);
                if (m.length >= 12 && rnd.nextBoolean()) {
                    ByteBuffer.wrap(m).putInt(4, Rpc.CALL).putInt(8, Rpc.VERSION);
                }
            }
        }
        return m;
    }

    @Test
    void mutatedAndRandomCallsNeverBreakTheServer() throws Exception {
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger bystanderCalls = new AtomicInteger();
        AtomicInteger bystanderFailures = new AtomicInteger();
        Thread bystander = Thread.ofVirtual().start(() -> {
            try (RpcClient c = RpcClient.connect(address, T)) {
                c.credential(new Credential.Sys(1, "bystander", 1, 1, new int[0]));
                while (!done.get()) {
                    RpcReply r = c.call(PROG, 1, 1, w -> w.writeString("still here").writeInt(1).writeHyper(41).writeBoolean(true).writeInt(1));
                    if (!r.success() || !r.results().readString(255).equals("still here") || r.results().readInt() < 0) {
                        bystanderFailures.incrementAndGet();
                    }
                    bystanderCalls.incrementAndGet();
                }
            } catch (IOException e) {
                bystanderFailures.incrementAndGet();
            }
        });

        Random rnd = new Random(20240501);
        // a short timeout: random framing may announce a fragment the server then waits for
        Duration wait = Duration.ofSeconds(2);
        RpcClient c = RpcClient.connect(address, wait);
        int answered = 0;
        int reconnects = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] fuzzed = mutate(rnd, validCall(rnd, rnd.nextInt()));
            int sentinel = 0x5e000000 + i;
            try {
                if (rnd.nextInt(40) == 0) {
                    // broken framing: random bytes with no record structure
                    byte[] raw = new byte[4 + rnd.nextInt(64)];
                    rnd.nextBytes(raw);
                    c.sendRaw(ByteBuffer.wrap(raw));
                } else {
                    c.sendRecord(fuzzed);
                }
                c.sendRecord(Calls.sysCall(sentinel, PROG, 1, 0, new byte[0]));
                while (true) { // every reply must be well formed; the sentinel's ends the round
                    RpcReply r = RpcReply.parse(Unpooled.wrappedBuffer(c.receiveRecord()));
                    answered++;
                    if (r.xid() == sentinel) {
                        assertTrue(r.success(), r.toString());
                        break;
                    }
                }
            } catch (IOException closedByServer) {
                c.close();
                c = RpcClient.connect(address, wait);
                reconnects++;
            }
        }
        c.close();
        done.set(true);
        bystander.join();

        assertEquals(0, bystanderFailures.get(), "the bystander connection saw a wrong answer");
        assertTrue(bystanderCalls.get() > 0);
        assertTrue(answered > 3000, "answered " + answered);
        assertTrue(reconnects > 0 && reconnects < 3000, "reconnects " + reconnects);
        List<ILoggingEvent> bad = logs.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).toList();
        assertEquals(List.of(), bad.stream().map(ILoggingEvent::getFormattedMessage).toList());
        try (RpcClient after = RpcClient.connect(address, T)) {
            assertTrue(after.call(PROG, 1, 0, null).success());
        }
    }
}
