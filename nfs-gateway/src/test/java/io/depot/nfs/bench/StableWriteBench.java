package io.depot.nfs.bench;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.NfsGatewaySettings;
import io.depot.nfs.nfs3.NfsExport;
import io.depot.nfs.portmap.PortAdvertiser;
import io.depot.nfs.rpc.Credential;
import io.depot.nfs.rpc.RpcClient;
import io.depot.nfs.rpc.RpcReply;
import io.depot.nfs.xdr.XdrReader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Stable NFS WRITEs: {@code --threads} clients, each with its own TCP connection, one call in
 * flight and a file of its own, send 4 KiB WRITE FILE_SYNC calls (sequential offsets within
 * {@code --span}) to an in-process gateway over a fresh pool in {@code --dir} for {@code --seconds},
 * after a warm-up of as long. Prints {@code stable-write IOPS WRITES commits/write wal-syncs/write
 * data-syncs/write} (the sync columns read the pool's catalog commit counters, -1 on a build that
 * has none).
 *
 * <pre>java ... io.depot.nfs.bench.StableWriteBench --dir DIR [--threads 4] [--seconds 10] [--span 64m]</pre>
 */
public final class StableWriteBench {
    private static final int MOUNT_PROGRAM = 100005, MOUNT_VERSION = 3, MOUNT_MNT = 1;
    private static final int NFS_PROGRAM = 100003, NFS_VERSION = 3, CREATE = 8, WRITE = 7, FILE_SYNC = 2, UNCHECKED = 0;
    private static final int BLOCK = 4096;
    private static final Credential ROOT = new Credential.Sys(1, "stable-write-bench", 0, 0, new int[0]);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private StableWriteBench() {}

    public static void main(String[] args) throws Exception {
        Path dir = null;
        int threads = 4;
        int seconds = 10;
        long span = 64L << 20;
        for (int i = 0; i < args.length; i++) {
            String value = BenchArgs.required(args[i], i + 1 < args.length ? args[i + 1] : null);
            switch (args[i]) {
                case "--dir" -> dir = Path.of(value);
                case "--threads" -> threads = Integer.parseInt(value);
                case "--seconds" -> seconds = Integer.parseInt(value);
                case "--span" -> span = BenchArgs.parseSize(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (expected --dir DIR [--threads 4] [--seconds 10] [--span 64m])");
            }
            i++;
        }
        if (dir == null || Files.exists(dir.resolve("pool"))) {
            throw new IllegalArgumentException("--dir DIR is required, without a pool in it (the bench wants a fresh one)");
        }
        Files.createDirectories(dir);
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (Pool pool = Pool.create(dir.resolve("pool"), PoolOptions.ofCapacity(4L << 30));
             NfsGateway gw = NfsGateway.start(pool, new NfsGatewaySettings(lo, 0,
                     new PortAdvertiser.Config(lo, 0, dir.resolve("no-rpcbind.sock")), List.of(NfsExport.of("/depot"))))) {
            InetSocketAddress nfs = gw.address();
            byte[] root = mount(nfs);
            List<Client> clients = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                clients.add(new Client(nfs, root, "f" + t, span));
            }
            ExecutorService runners = Executors.newFixedThreadPool(threads);
            try {
                run(runners, clients, seconds); // warm-up: JIT, file volumes made and grown
                long[] before = counters(pool);
                long start = System.nanoTime();
                long writes = run(runners, clients, seconds);
                double secs = (System.nanoTime() - start) / 1e9;
                long[] after = counters(pool);
                System.out.printf("stable-write %.0f %d %s %s %s%n", writes / secs, writes,
                        perWrite(before, after, 0, writes), perWrite(before, after, 2, writes), perWrite(before, after, 1, writes));
            } finally {
                runners.shutdownNow();
                for (Client c : clients) {
                    c.close();
                }
            }
        }
    }

    private static long run(ExecutorService runners, List<Client> clients, int seconds) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        List<Future<Long>> done = new ArrayList<>();
        for (Client c : clients) {
            done.add(runners.submit(() -> c.writeUntil(deadline)));
        }
        long writes = 0;
        for (Future<Long> f : done) {
            writes += f.get();
        }
        return writes;
    }

    /** Commits, data syncs and WAL syncs of the pool, through reflection so that a build without them still runs: null then. */
    private static long[] counters(Pool pool) {
        try {
            Object catalog = Pool.class.getMethod("catalog").invoke(pool);
            Object c = catalog.getClass().getMethod("commitCounters").invoke(catalog);
            long[] out = new long[3];
            String[] names = {"commits", "dataSyncs", "walSyncs"};
            for (int i = 0; i < 3; i++) {
                out[i] = (long) c.getClass().getMethod(names[i]).invoke(c);
            }
            return out;
        } catch (ReflectiveOperationException e) {
            return null;
        }
    }

    private static String perWrite(long[] before, long[] after, int which, long writes) {
        return before == null ? "-1" : String.format("%.3f", (after[which] - before[which]) / (double) writes);
    }

    private static byte[] mount(InetSocketAddress server) throws IOException {
        try (RpcClient mnt = RpcClient.connect(server, TIMEOUT)) {
            mnt.credential(ROOT);
            return ok(mnt.call(MOUNT_PROGRAM, MOUNT_VERSION, MOUNT_MNT, w -> w.writeString("/depot")), "MNT").readOpaque(64);
        }
    }

    /** The results of a successful call whose status is OK, read past the status; an IOException otherwise. */
    private static XdrReader ok(RpcReply reply, String what) throws IOException {
        XdrReader r = reply.success() ? reply.results() : null;
        int status = r == null ? -1 : r.readInt();
        if (status != 0) {
            throw new IOException(what + (r == null ? ": RPC failed: " + reply : ": status " + status));
        }
        return r;
    }

    /** One connection writing its own file. */
    private static final class Client implements AutoCloseable {
        private final RpcClient rpc;
        private final byte[] file;
        private final byte[] block = new byte[BLOCK];
        private final long span;
        private long offset;

        Client(InetSocketAddress nfs, byte[] root, String name, long span) throws IOException {
            this.rpc = RpcClient.connect(nfs, TIMEOUT);
            this.span = span;
            rpc.credential(ROOT);
            XdrReader r = ok(rpc.call(NFS_PROGRAM, NFS_VERSION, CREATE, w -> {
                w.writeOpaque(root).writeString(name).writeInt(UNCHECKED);
                for (int i = 0; i < 6; i++) {
                    w.writeInt(0); // sattr3: nothing set
                }
            }), "CREATE");
            if (!r.readBoolean()) {
                throw new IOException("CREATE returned no handle");
            }
            file = r.readOpaque(64);
            block[0] = 1;
        }

        long writeUntil(long deadline) throws IOException {
            long n = 0;
            while (System.nanoTime() < deadline) {
                long at = offset;
                ok(rpc.call(NFS_PROGRAM, NFS_VERSION, WRITE,
                        w -> w.writeOpaque(file).writeHyper(at).writeInt(BLOCK).writeInt(FILE_SYNC).writeOpaque(block)), "WRITE");
                offset = (offset + BLOCK) % span;
                n++;
            }
            return n;
        }

        @Override
        public void close() { rpc.close(); }
    }
}
