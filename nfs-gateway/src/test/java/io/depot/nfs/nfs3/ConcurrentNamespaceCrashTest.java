package io.depot.nfs.nfs3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.nfs.fs.Caller;
import io.depot.nfs.fs.Datastore;
import io.depot.nfs.fs.FsException;
import io.depot.nfs.fs.Inode;
import io.depot.nfs.fs.ReadResult;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Namespace changes from several connections at once share syncs (group commit), and every one
 * whose reply arrived is still there after the server process is killed (SIGKILL: nothing is
 * closed) and the pool is reopened: created files, their FILE_SYNC data, removals, and no
 * volume left for a removed or never-written file.
 */
class ConcurrentNamespaceCrashTest {
    private static final int CLIENTS = 4;
    private static final int FILES = 150;

    @TempDir
    Path tmp;

    private record Outcome(Set<String> present, Set<String> removed, Map<String, byte[]> written) {}

    private static byte[] pattern(int client, int i) {
        byte[] b = new byte[1000 + i];
        Arrays.fill(b, (byte) (client * 31 + i));
        return b;
    }

    /** One connection's work: creates, some FILE_SYNC writes, some removes; what the replies promised. */
    private static Outcome work(InetSocketAddress server, int client) throws Exception {
        Set<String> present = new HashSet<>();
        Set<String> removed = new HashSet<>();
        Map<String, byte[]> written = new HashMap<>();
        try (NfsTestClient c = new NfsTestClient(server, null)) {
            byte[] root = c.mount("/depot");
            for (int i = 0; i < FILES; i++) {
                String name = "c" + client + "-" + i;
                byte[] fh = c.create(root, name);
                assertEquals(Nfs3.OK, c.lastStatus, name);
                present.add(name);
                if (i % 10 == 0) {
                    byte[] data = pattern(client, i);
                    NfsTestClient.Written w = c.write(fh, 0, data, Nfs3.FILE_SYNC);
                    assertEquals(Nfs3.OK, w.status(), name);
                    assertEquals(Nfs3.FILE_SYNC, w.committed());
                    written.put(name, data);
                }
                if (i % 20 == 0 || i % 7 == 3) { // written files and never-written ones
                    assertEquals(Nfs3.OK, c.remove(root, name), name);
                    present.remove(name);
                    written.remove(name);
                    removed.add(name);
                }
            }
        }
        return new Outcome(present, removed, written);
    }

    @Test
    void concurrentChangesShareSyncsAndEveryAnsweredOneSurvivesAKill() throws Exception {
        Path poolDir = tmp.resolve("pool");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process server = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                CrashServerMain.class.getName(), poolDir.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<Outcome> outcomes = new ArrayList<>();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            String ready = out.readLine();
            assertTrue(ready != null && ready.startsWith("ready "), "server said: " + ready);
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", Integer.parseInt(ready.substring(6)));

            ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
            try {
                List<Future<Outcome>> futures = new ArrayList<>();
                for (int k = 0; k < CLIENTS; k++) {
                    int client = k;
                    futures.add(pool.submit(() -> work(address, client)));
                }
                for (Future<Outcome> f : futures) {
                    outcomes.add(f.get(5, TimeUnit.MINUTES));
                }
            } finally {
                pool.shutdownNow();
            }

            Writer in = new OutputStreamWriter(server.getOutputStream(), StandardCharsets.UTF_8);
            in.write("stats\n");
            in.flush();
            String[] stats = out.readLine().split(" ");
            long changes = Long.parseLong(stats[1]);
            long syncs = Long.parseLong(stats[2]);
            System.out.printf("%d namespace changes made durable by %d syncs%n", changes, syncs);
            assertTrue(changes >= CLIENTS * FILES, "every create is a namespace change: " + changes);
            assertTrue(syncs < changes, "concurrent changes share syncs: " + syncs + " syncs for " + changes + " changes");
        } finally {
            server.destroyForcibly(); // SIGKILL: no close of anything
            assertTrue(server.waitFor(1, TimeUnit.MINUTES));
        }

        try (Pool pool = Pool.open(poolDir)) {
            Datastore ds = Datastore.open(pool);
            long dir = ds.resolve("/depot").ino();
            int keptVolumes = 0;
            for (Outcome o : outcomes) {
                for (String name : o.present()) {
                    Inode f = ds.lookup(Caller.ROOT, dir, name);
                    byte[] data = o.written().get(name);
                    if (data == null) {
                        assertEquals(0, f.size(), name);
                        assertEquals(null, f.volume(), name + " was never written: no volume");
                    } else {
                        keptVolumes++;
                        ReadResult r = ds.read(Caller.ROOT, f.ino(), 0, data.length + 10);
                        byte[] got = new byte[r.data().remaining()];
                        r.data().get(got);
                        assertArrayEquals(data, got, name);
                    }
                }
                for (String name : o.removed()) {
                    try {
                        ds.lookup(Caller.ROOT, dir, name);
                        throw new AssertionError(name + " was removed before the crash but is back");
                    } catch (FsException.NoEntry expected) {
                        // the removal was durable before its reply
                    }
                }
            }
            long fileVolumes = pool.volumes().stream().filter(v -> v.name().startsWith("nfs.")).count();
            assertEquals(keptVolumes, fileVolumes, "only written, kept files have volumes");
            ds.close();
        }
    }
}
