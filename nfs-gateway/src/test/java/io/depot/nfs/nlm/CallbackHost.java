package io.depot.nfs.nlm;

import static org.junit.jupiter.api.Assertions.fail;

import io.depot.nfs.portmap.Mapping;
import io.depot.nfs.portmap.Portmap;
import io.depot.nfs.portmap.PortmapProgram;
import io.depot.nfs.portmap.PortmapRegistry;
import io.depot.nfs.rpc.RpcClient;
import io.depot.nfs.rpc.RpcProgram;
import io.depot.nfs.rpc.RpcServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The client host's side of NLM callbacks, on a loopback port: a portmapper that maps NLM v1, v3
 * and v4 (TCP, or UDP only) to the same port, and a client lock manager that answers NLM_GRANTED as the test
 * says (or not at all), answers GRANTED_MSG with a GRANTED_RES call to the server, and records
 * every callback and *_RES it receives.
 */
final class CallbackHost implements AutoCloseable {
    /** A call received: GRANTED / GRANTED_MSG carry {@code granted}, the *_RES ones {@code res}. */
    record Received(int version, int procedure, NlmXdr.TestArgs granted, NlmXdr.Res res) {}

    final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    /** Per client host name: one permit per NLM_GRANTED answered GRANTED. */
    final Map<String, Semaphore> grantsByHost = new ConcurrentHashMap<>();
    volatile NlmStatus grantedAnswer = NlmStatus.GRANTED;
    /** When set, GRANTED is never answered (the handler waits until the host closes). */
    volatile boolean silent;
    /** Where GRANTED_RES goes: the NLM server under test. */
    volatile InetSocketAddress server;
    private final CountDownLatch closing = new CountDownLatch(1);
    private final RpcServer rpc = RpcServer.builder().build();
    final int port;

    CallbackHost() {
        this(Portmap.IPPROTO_TCP);
    }

    /** A host whose lock manager is registered for {@code protocol} only (IPPROTO_TCP or IPPROTO_UDP). */
    CallbackHost(int protocol) {
        PortmapRegistry registry = new PortmapRegistry();
        rpc.register(PortmapProgram.create(registry));
        rpc.register(program());
        try {
            port = rpc.listen(new InetSocketAddress("127.0.0.1", 0)).getPort();
            if (protocol == Portmap.IPPROTO_UDP) {
                rpc.listenUdp(new InetSocketAddress("127.0.0.1", port));
            }
        } catch (IOException e) {
            rpc.close();
            throw new UncheckedIOException(e);
        }
        for (int v : new int[] {Nlm.VERSION_1, Nlm.VERSION_3, Nlm.VERSION_4}) {
            registry.set(new Mapping(Nlm.PROGRAM, v, protocol, port));
        }
    }

    /** The settings of a server whose callbacks reach this host: its portmapper, short timeouts. */
    NlmSettings settings() {
        return NlmSettings.defaults().withClientPortmapperPort(port).withCallbacks(Duration.ofMillis(700), 2);
    }

    private RpcProgram program() {
        RpcProgram.Builder b = RpcProgram.builder(Nlm.PROGRAM, "test-client-nlm");
        for (int v : new int[] {Nlm.VERSION_1, Nlm.VERSION_3, Nlm.VERSION_4}) {
            b.procedure(v, Nlm.PROC_GRANTED, "GRANTED", (call, args, res) -> {
                NlmXdr.TestArgs a = NlmXdr.readTestArgs(args, call.version());
                received.add(new Received(call.version(), Nlm.PROC_GRANTED, a, null));
                if (silent) {
                    closing.await();
                }
                NlmStatus answer = grantedAnswer;
                if (answer == NlmStatus.GRANTED) {
                    grants(a.lock().callerName()).release();
                }
                NlmXdr.writeRes(res, call.version(), a.cookie(), answer);
            });
            b.procedure(v, Nlm.PROC_GRANTED_MSG, "GRANTED_MSG", (call, args, res) -> {
                NlmXdr.TestArgs a = NlmXdr.readTestArgs(args, call.version());
                received.add(new Received(call.version(), Nlm.PROC_GRANTED_MSG, a, null));
                int version = call.version();
                NlmStatus answer = grantedAnswer;
                Thread.ofVirtual().start(() -> sendGrantedRes(version, a.cookie(), answer));
            });
            for (int proc = Nlm.PROC_TEST_RES; proc <= Nlm.PROC_GRANTED_RES; proc++) {
                int p = proc;
                b.procedure(v, p, "RES-" + p, (call, args, res) -> {
                    NlmXdr.Res r = NlmXdr.readRes(args, call.version());
                    args.skip(args.remaining()); // TEST_RES may carry a holder
                    received.add(new Received(call.version(), p, null, r));
                });
            }
        }
        return b.build();
    }

    private void sendGrantedRes(int version, byte[] cookie, NlmStatus answer) {
        try (RpcClient c = RpcClient.connect(server, Duration.ofSeconds(5))) {
            c.call(Nlm.PROGRAM, version, Nlm.PROC_GRANTED_RES, w -> NlmXdr.writeRes(w, version, cookie, answer));
        } catch (IOException e) {
            received.add(new Received(version, -1, null, null));
        }
    }

    Semaphore grants(String host) {
        return grantsByHost.computeIfAbsent(host, h -> new Semaphore(0));
    }

    /** The next call received, within {@code timeout}. */
    Received next(Duration timeout) throws InterruptedException {
        Received r = received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (r == null) {
            fail("no callback within " + timeout);
        }
        return r;
    }

    @Override
    public void close() {
        closing.countDown();
        rpc.close();
    }
}
