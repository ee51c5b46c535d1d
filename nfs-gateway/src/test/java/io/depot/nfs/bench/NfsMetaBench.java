package io.depot.nfs.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The metadata workload of {@code bench/nfs-bench.sh}, against any NFSv3 server: finds MOUNT and
 * NFS through the portmapper (port 111), mounts the export, makes a fresh directory, and then runs
 * four phases over the same names, each timed on its own: CREATE of {@code --files} empty files
 * per thread (UNCHECKED, one directory shared by all threads), LOOKUP of each name, GETATTR of
 * each handle, REMOVE of each name. Every thread has its own TCP connection and one call in
 * flight, as a client with {@code --threads} busy processes would. A warm-up cycle of
 * {@code --warmup-files} per thread runs first (JIT on both sides, the server's caches).
 *
 * <p>Prints one line per phase: {@code PHASE OPS_PER_SECOND OPS SERVER_CPU_US_PER_OP}; the CPU
 * column reads {@code /proc/PID/stat} of {@code --server-pid} (user + system, all threads) around
 * the phase, -1 without a pid.
 *
 * <pre>java ... io.depot.nfs.bench.NfsMetaBench --export /depot [--host 127.0.0.1] [--threads 4]
 *     [--files 5000] [--warmup-files 1000] [--server-pid PID] [--clk-tck 100]</pre>
 */
public final class NfsMetaBench {
    private NfsMetaBench() {}

    public static void main(String[] args) throws Exception {
        String host = "127.0.0.1";
        String export = null;
        int threads = 4;
        int files = 5000;
        int warmupFiles = 1000;
        long serverPid = -1;
        int clkTck = 100;
        for (int i = 0; i < args.length; i++) {
            String value = BenchArgs.required(args[i], i + 1 < args.length ? args[i + 1] : null);
            switch (args[i]) {
                case "--host" -> host = value;
                case "--export" -> export = value;
                case "--threads" -> threads = Integer.parseInt(value);
                case "--files" -> files = Integer.parseInt(value);
                case "--warmup-files" -> warmupFiles = Integer.parseInt(value);
                case "--server-pid" -> serverPid = Long.parseLong(value);
                case "--clk-tck" -> clkTck = Integer.parseInt(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (see the javadoc of NfsMetaBench)");
            }
            i++;
        }
        if (export == null) {
            throw new IllegalArgumentException("--export PATH is required");
        }
        NfsBenchSession.Mounted mounted = NfsBenchSession.mount(host, export);
        InetSocketAddress nfs = mounted.nfs();
        byte[] root = mounted.root();
        try (NfsBenchSession s = new NfsBenchSession(nfs)) {
            System.out.println("fsinfo " + s.fsinfo(root));
        }
        Phases warm = new Phases(nfs, root, threads, warmupFiles, "warm");
        warm.runAll(-1, clkTck, false);
        Phases measured = new Phases(nfs, root, threads, files, "meta");
        measured.runAll(serverPid, clkTck, true);
    }

    /** One directory, {@code threads} connections, the four phases over {@code files} names each. */
    private record Phases(InetSocketAddress nfs, byte[] root, int threads, int files, String prefix) {
        void runAll(long serverPid, int clkTck, boolean print) throws Exception {
            String dirName = prefix + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
            byte[] dir;
            try (NfsBenchSession s = new NfsBenchSession(nfs)) {
                dir = s.mkdir(root, dirName);
            }
            List<NfsBenchSession> sessions = new ArrayList<>();
            byte[][][] handles = new byte[threads][files][];
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                for (int t = 0; t < threads; t++) {
                    sessions.add(new NfsBenchSession(nfs));
                }
                phase("create", serverPid, clkTck, print, pool, sessions, (s, t, i) -> handles[t][i] = s.create(dir, name(t, i)));
                phase("lookup", serverPid, clkTck, print, pool, sessions, (s, t, i) -> s.lookup(dir, name(t, i)));
                phase("getattr", serverPid, clkTck, print, pool, sessions, (s, t, i) -> s.getattr(handles[t][i]));
                phase("remove", serverPid, clkTck, print, pool, sessions, (s, t, i) -> s.remove(dir, name(t, i)));
            } finally {
                pool.shutdownNow();
                sessions.forEach(NfsBenchSession::close);
            }
            try (NfsBenchSession s = new NfsBenchSession(nfs)) {
                s.rmdir(root, dirName);
            }
        }

        private void phase(String name, long serverPid, int clkTck, boolean print, ExecutorService pool, List<NfsBenchSession> sessions,
                           Op op) throws Exception {
            long cpuBefore = NfsBenchSession.cpuTicks(serverPid);
            long start = System.nanoTime();
            List<Future<Void>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                NfsBenchSession s = sessions.get(t);
                done.add(pool.submit((Callable<Void>) () -> {
                    for (int i = 0; i < files; i++) {
                        op.run(s, thread, i);
                    }
                    return null;
                }));
            }
            for (Future<Void> f : done) {
                f.get();
            }
            long nanos = System.nanoTime() - start;
            long cpuAfter = NfsBenchSession.cpuTicks(serverPid);
            long ops = (long) threads * files;
            long cpuUs = serverPid < 0 ? -1 : (cpuAfter - cpuBefore) * 1_000_000L / clkTck / ops;
            if (print) {
                System.out.printf("%s %.0f %d %d%n", name, ops * 1e9 / nanos, ops, cpuUs);
                System.out.flush();
            }
        }

        private static String name(int thread, int i) {
            return "f" + thread + "-" + i;
        }
    }

    @FunctionalInterface
    private interface Op {
        void run(NfsBenchSession s, int thread, int i) throws IOException;
    }
}
