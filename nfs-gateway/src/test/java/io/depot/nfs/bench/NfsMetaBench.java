package io.depot.nfs.bench;

import io.depot.nfs.rpc.Credential;
import io.depot.nfs.rpc.RpcClient;
import io.depot.nfs.rpc.RpcReply;
import io.depot.nfs.xdr.XdrReader;
import io.depot.nfs.xdr.XdrWriter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

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
    private static final int PMAP_PROGRAM = 100000, PMAP_VERSION = 2, PMAP_GETPORT = 3, IPPROTO_TCP = 6;
    private static final int MOUNT_PROGRAM = 100005, MOUNT_VERSION = 3, MOUNT_MNT = 1;
    private static final int NFS_PROGRAM = 100003, NFS_VERSION = 3;
    private static final int GETATTR = 1, LOOKUP = 3, CREATE = 8, MKDIR = 9, REMOVE = 12, RMDIR = 13, FSINFO = 19;
    private static final Credential ROOT = new Credential.Sys(1, "nfs-bench", 0, 0, new int[0]);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

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
        int nfsPort;
        int mountPort;
        try (RpcClient pmap = RpcClient.connect(new InetSocketAddress(host, 111), TIMEOUT)) {
            nfsPort = getPort(pmap, NFS_PROGRAM, NFS_VERSION);
            mountPort = getPort(pmap, MOUNT_PROGRAM, MOUNT_VERSION);
        }
        String exportPath = export;
        byte[] root;
        try (RpcClient mnt = RpcClient.connect(new InetSocketAddress(host, mountPort), TIMEOUT)) {
            mnt.credential(ROOT);
            XdrReader r = results(mnt.call(MOUNT_PROGRAM, MOUNT_VERSION, MOUNT_MNT, w -> w.writeString(exportPath)), "MNT");
            check(r.readInt(), "MNT " + exportPath);
            root = r.readOpaque(64);
        }
        InetSocketAddress nfs = new InetSocketAddress(host, nfsPort);
        try (Session s = new Session(nfs)) {
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
            try (Session s = new Session(nfs)) {
                dir = s.mkdir(root, dirName);
            }
            List<Session> sessions = new ArrayList<>();
            byte[][][] handles = new byte[threads][files][];
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                for (int t = 0; t < threads; t++) {
                    sessions.add(new Session(nfs));
                }
                phase("create", serverPid, clkTck, print, pool, sessions, (s, t, i) -> handles[t][i] = s.create(dir, name(t, i)));
                phase("lookup", serverPid, clkTck, print, pool, sessions, (s, t, i) -> s.lookup(dir, name(t, i)));
                phase("getattr", serverPid, clkTck, print, pool, sessions, (s, t, i) -> s.getattr(handles[t][i]));
                phase("remove", serverPid, clkTck, print, pool, sessions, (s, t, i) -> s.remove(dir, name(t, i)));
            } finally {
                pool.shutdownNow();
                sessions.forEach(Session::close);
            }
            try (Session s = new Session(nfs)) {
                s.rmdir(root, dirName);
            }
        }

        private void phase(String name, long serverPid, int clkTck, boolean print, ExecutorService pool, List<Session> sessions,
                           Op op) throws Exception {
            long cpuBefore = cpuTicks(serverPid);
            long start = System.nanoTime();
            List<Future<Void>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                Session s = sessions.get(t);
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
            long cpuAfter = cpuTicks(serverPid);
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
        void run(Session s, int thread, int i) throws IOException;
    }

    /** user + system clock ticks of a process, all threads (fields 14 and 15 of /proc/PID/stat). */
    private static long cpuTicks(long pid) throws IOException {
        if (pid < 0) {
            return 0;
        }
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14, 15 counted from "state" = field 3
    }

    private static int getPort(RpcClient pmap, int program, int version) throws IOException {
        XdrReader r = results(pmap.call(PMAP_PROGRAM, PMAP_VERSION, PMAP_GETPORT,
                w -> w.writeInt(program).writeInt(version).writeInt(IPPROTO_TCP).writeInt(0)), "GETPORT");
        int port = r.readInt();
        if (port == 0) {
            throw new IOException("program " + program + " v" + version + " is not registered with the portmapper");
        }
        return port;
    }

    private static XdrReader results(RpcReply reply, String what) throws IOException {
        if (!reply.success()) {
            throw new IOException(what + ": RPC failed: " + reply);
        }
        return reply.results();
    }

    private static void check(int status, String what) throws IOException {
        if (status != 0) {
            throw new IOException(what + ": NFS status " + status);
        }
    }

    /** One connection; NFSv3 calls with only the fields the bench needs decoded. */
    private static final class Session implements AutoCloseable {
        private final RpcClient rpc;

        Session(InetSocketAddress nfs) throws IOException {
            rpc = RpcClient.connect(nfs, TIMEOUT);
            rpc.credential(ROOT);
        }

        private XdrReader call(int proc, String what, Consumer<XdrWriter> args) throws IOException {
            XdrReader r = results(rpc.call(NFS_PROGRAM, NFS_VERSION, proc, args), what);
            check(r.readInt(), what);
            return r;
        }

        byte[] create(byte[] dir, String name) throws IOException {
            XdrReader r = call(CREATE, "CREATE " + name, w -> {
                w.writeOpaque(dir).writeString(name).writeInt(0); // UNCHECKED
                noAttributes(w);
            });
            return r.readBoolean() ? r.readOpaque(64) : lookup(dir, name);
        }

        byte[] mkdir(byte[] dir, String name) throws IOException {
            XdrReader r = call(MKDIR, "MKDIR " + name, w -> {
                w.writeOpaque(dir).writeString(name);
                noAttributes(w);
            });
            return r.readBoolean() ? r.readOpaque(64) : lookup(dir, name);
        }

        byte[] lookup(byte[] dir, String name) throws IOException {
            return call(LOOKUP, "LOOKUP " + name, w -> w.writeOpaque(dir).writeString(name)).readOpaque(64);
        }

        void getattr(byte[] fh) throws IOException {
            call(GETATTR, "GETATTR", w -> w.writeOpaque(fh));
        }

        void remove(byte[] dir, String name) throws IOException {
            call(REMOVE, "REMOVE " + name, w -> w.writeOpaque(dir).writeString(name));
        }

        void rmdir(byte[] dir, String name) throws IOException {
            call(RMDIR, "RMDIR " + name, w -> w.writeOpaque(dir).writeString(name));
        }

        /** rtmax and wtmax from FSINFO (RFC 1813 §3.3.19), for the record. */
        String fsinfo(byte[] root) throws IOException {
            XdrReader r = call(FSINFO, "FSINFO", w -> w.writeOpaque(root));
            if (r.readBoolean()) {
                r.skip(84); // fattr3
            }
            int rtmax = r.readInt();
            r.skip(8);
            int wtmax = r.readInt();
            return "rtmax=" + rtmax + " wtmax=" + wtmax;
        }

        /** sattr3 with nothing set: mode, uid, gid, size, atime, mtime. */
        private static void noAttributes(XdrWriter w) {
            w.writeBoolean(false).writeBoolean(false).writeBoolean(false).writeBoolean(false).writeInt(0).writeInt(0);
        }

        @Override
        public void close() { rpc.close(); }
    }
}
