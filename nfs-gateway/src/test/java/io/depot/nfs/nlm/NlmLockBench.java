package io.depot.nfs.nlm;

import io.depot.nfs.bench.NfsBenchSession;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The lock rows of {@code bench/nlm-lock-bench.sh}, against any NFSv3 server with an NLM v4 lock
 * manager: mounts the export, creates one file per thread, then times two phases, each after a
 * warm-up of its own:
 * <ul>
 *   <li>{@code lock-unlock}: {@code --threads} connections, each one lock owner (its own svid) on
 *       its own file: LOCK (exclusive, non-blocking, monitored unless {@code --nm}: NM_LOCK) then
 *       UNLOCK of bytes 0-99, {@code --ops} pairs per thread. One op is one pair.</li>
 *   <li>{@code contended}: two owners (two connections, one host) on one range of one file, taking
 *       turns: A locks, B is DENIED, A unlocks, B locks, B unlocks. One op is that cycle of five
 *       calls, a lock handed from one owner to the other and back.</li>
 * </ul>
 * All owners speak as one client host ({@code --caller}, default 127.0.0.1: a name the server's
 * status monitor can resolve), as a hypervisor host's processes do. A blocking lock woken by an
 * NLM_GRANTED callback is not measured: the server would call back the client host's portmapper
 * on port 111 of the client's address, which in a bench namespace is the server's own.
 *
 * <p>Prints one line per phase: {@code PHASE OPS_PER_SECOND OPS SERVER_CPU_US_PER_OP} (CPU from
 * {@code /proc/PID/stat} of {@code --server-pid}, -1 without one).
 *
 * <pre>java ... io.depot.nfs.nlm.NlmLockBench --export PATH [--host 127.0.0.1] [--threads 4] [--ops 2000]
 *     [--contended-ops 1000] [--warmup-ops 300] [--nm] [--caller NAME] [--server-pid PID] [--clk-tck 100]</pre>
 */
public final class NlmLockBench {
    private static final long OFFSET = 0, LENGTH = 100;

    private NlmLockBench() {}

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        NfsBenchSession.Mounted mounted = NfsBenchSession.mount(o.host, o.export);
        InetSocketAddress nlm = new InetSocketAddress(o.host, NfsBenchSession.portOf(o.host, Nlm.PROGRAM, Nlm.VERSION_4));
        String tag = "nlm-bench-" + ProcessHandle.current().pid();
        byte[][] files = new byte[o.threads + 1][];
        try (NfsBenchSession s = new NfsBenchSession(mounted.nfs())) {
            for (int t = 0; t <= o.threads; t++) {
                files[t] = s.create(mounted.root(), tag + "-" + t);
            }
        }
        List<NlmClient> clients = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(o.threads);
        try {
            for (int t = 0; t < Math.max(o.threads, 2); t++) {
                clients.add(new NlmClient(nlm, Nlm.VERSION_4, o.caller));
            }
            Phase lockUnlock = ops -> parallel(pool, o.threads, t -> {
                NlmClient c = clients.get(t);
                for (int i = 0; i < ops; i++) {
                    expect(NlmStatus.GRANTED, o.nm ? c.nmLock(files[t], t + 1, OFFSET, LENGTH, true)
                            : c.lock(files[t], t + 1, OFFSET, LENGTH, true, false), "LOCK");
                    expect(NlmStatus.GRANTED, c.unlock(files[t], t + 1, OFFSET, LENGTH), "UNLOCK");
                }
            });
            byte[] shared = files[o.threads];
            NlmClient a = clients.get(0);
            NlmClient b = clients.get(1);
            Phase contended = ops -> {
                for (int i = 0; i < ops; i++) {
                    expect(NlmStatus.GRANTED, lock(o, a, shared, 101), "A's LOCK");
                    expect(NlmStatus.DENIED, lock(o, b, shared, 102), "B's LOCK while A holds it");
                    expect(NlmStatus.GRANTED, a.unlock(shared, 101, OFFSET, LENGTH), "A's UNLOCK");
                    expect(NlmStatus.GRANTED, lock(o, b, shared, 102), "B's LOCK after A's UNLOCK");
                    expect(NlmStatus.GRANTED, b.unlock(shared, 102, OFFSET, LENGTH), "B's UNLOCK");
                }
            };
            lockUnlock.run(o.warmupOps);
            measure("lock-unlock", (long) o.threads * o.ops, o, () -> lockUnlock.run(o.ops));
            contended.run(o.warmupOps);
            measure("contended", o.contendedOps, o, () -> contended.run(o.contendedOps));
        } finally {
            pool.shutdownNow();
            clients.forEach(NlmClient::close);
        }
        try (NfsBenchSession s = new NfsBenchSession(mounted.nfs())) {
            for (int t = 0; t <= o.threads; t++) {
                s.remove(mounted.root(), tag + "-" + t);
            }
        }
    }

    private static NlmStatus lock(Options o, NlmClient c, byte[] fh, int svid) {
        return o.nm ? c.nmLock(fh, svid, OFFSET, LENGTH, true) : c.lock(fh, svid, OFFSET, LENGTH, true, false);
    }

    private static void expect(NlmStatus want, NlmStatus got, String what) {
        if (got != want) {
            throw new IllegalStateException(what + " answered " + got + ", expected " + want);
        }
    }

    private static void measure(String name, long ops, Options o, Phase.Body body) throws Exception {
        long cpuBefore = NfsBenchSession.cpuTicks(o.serverPid);
        long start = System.nanoTime();
        body.run();
        long nanos = System.nanoTime() - start;
        long cpuAfter = NfsBenchSession.cpuTicks(o.serverPid);
        long cpuUs = o.serverPid < 0 ? -1 : (cpuAfter - cpuBefore) * 1_000_000L / o.clkTck / ops;
        System.out.printf("%s %.0f %d %d%n", name, ops * 1e9 / nanos, ops, cpuUs);
        System.out.flush();
    }

    private static void parallel(ExecutorService pool, int threads, PerThread work) throws Exception {
        List<Future<Void>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            done.add(pool.submit((Callable<Void>) () -> {
                work.run(thread);
                return null;
            }));
        }
        for (Future<Void> f : done) {
            f.get();
        }
    }

    @FunctionalInterface
    private interface PerThread {
        void run(int thread) throws Exception;
    }

    /** A workload run for a number of ops. */
    @FunctionalInterface
    private interface Phase {
        void run(int ops) throws Exception;

        @FunctionalInterface
        interface Body {
            void run() throws Exception;
        }
    }

    /** The command line. */
    private static final class Options {
        String host = "127.0.0.1";
        String export;
        String caller = "127.0.0.1";
        int threads = 4;
        int ops = 2000;
        int contendedOps = 1000;
        int warmupOps = 300;
        boolean nm;
        long serverPid = -1;
        int clkTck = 100;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--nm")) {
                    o.nm = true;
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(args[i] + " needs a value");
                }
                String v = args[++i];
                switch (args[i - 1]) {
                    case "--host" -> o.host = v;
                    case "--export" -> o.export = v;
                    case "--caller" -> o.caller = v;
                    case "--threads" -> o.threads = Integer.parseInt(v);
                    case "--ops" -> o.ops = Integer.parseInt(v);
                    case "--contended-ops" -> o.contendedOps = Integer.parseInt(v);
                    case "--warmup-ops" -> o.warmupOps = Integer.parseInt(v);
                    case "--server-pid" -> o.serverPid = Long.parseLong(v);
                    case "--clk-tck" -> o.clkTck = Integer.parseInt(v);
                    default -> throw new IllegalArgumentException("unknown option " + args[i - 1] + " (see the javadoc of NlmLockBench)");
                }
            }
            if (o.export == null) {
                throw new IllegalArgumentException("--export PATH is required");
            }
            return o;
        }
    }
}
