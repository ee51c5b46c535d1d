package io.depot.nfs.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/**
 * A fast path tried only on an idle connection ({@link RpcProcedure#quickWhenIdle}): the first
 * call of a burst read from the socket at once is answered on the event loop, the rest go to
 * workers, as do calls arriving while another call of the connection executes. Calls queued to
 * workers run only when the test says so, so each case is decided by the handler's state alone.
 */
class IdleFastPathTest {
    private static final int PROG = 0x20000055;

    private final List<Runnable> workerQueue = new ArrayList<>();
    private final Executor workers = workerQueue::add;

    private static RpcDispatcher dispatcher() {
        RpcDispatcher d = new RpcDispatcher(null);
        RpcHandler onWorker = (c, a, r) -> {
            a.readInt();
            r.writeString("worker");
        };
        RpcQuickHandler onLoop = (c, a, r) -> {
            a.readInt();
            r.writeString("loop");
            return true;
        };
        d.register(RpcProgram.builder(PROG, "test")
                .procedureQuickWhenIdle(1, 1, "IDLE", onWorker, onLoop)
                .procedure(1, 2, "ALWAYS", onWorker, onLoop)
                .build());
        return d;
    }

    private EmbeddedChannel channel() {
        return new EmbeddedChannel(new RpcConnectionHandler(dispatcher(), workers, 16)) {
            @Override
            protected SocketAddress remoteAddress0() {
                return new InetSocketAddress(InetAddress.getLoopbackAddress(), 700);
            }
        };
    }

    private static ByteBuf call(int xid, int proc) {
        return Unpooled.wrappedBuffer(Calls.call(xid, PROG, 1, proc, Calls.ints(xid)));
    }

    /** Runs the queued worker calls, then the event-loop tasks that write their replies. */
    private void runWorkers(EmbeddedChannel ch) {
        List<Runnable> now = new ArrayList<>(workerQueue);
        workerQueue.clear();
        now.forEach(Runnable::run);
        ch.runPendingTasks();
    }

    /** "xid:where" of each reply written so far, in order. */
    private static List<String> replies(EmbeddedChannel ch) {
        List<String> out = new ArrayList<>();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            try {
                RpcReply r = RpcReply.parse(b);
                out.add(r.xid() + ":" + r.results().readString(16));
            } finally {
                b.release();
            }
        }
        return out;
    }

    @Test
    void onlyTheFirstCallOfABurstIsAnsweredOnTheEventLoop() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(call(1, 1), call(2, 1), call(3, 1)); // one socket read: three records
        assertEquals(List.of("1:loop"), replies(ch));
        runWorkers(ch);
        assertEquals(List.of("2:worker", "3:worker"), replies(ch));
        ch.writeInbound(call(4, 1)); // idle again: nothing executing, a new read
        assertEquals(List.of("4:loop"), replies(ch));
        assertFalse(ch.finish());
    }

    @Test
    void aCallArrivingWhileAnotherExecutesGoesToAWorkerUnlessItsFastPathIsUnconditional() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(call(1, 1), call(2, 1)); // 1 on the loop, 2 queued to a worker (not run yet)
        assertEquals(List.of("1:loop"), replies(ch));
        ch.writeInbound(call(3, 1));              // 2 still executing: not idle
        ch.writeInbound(call(4, 2));              // an ordinary fast path does not care
        assertEquals(List.of("4:loop"), replies(ch));
        runWorkers(ch);
        assertEquals(List.of("2:worker", "3:worker"), replies(ch));
        assertNull(ch.readOutbound());
        assertFalse(ch.finish());
    }
}
