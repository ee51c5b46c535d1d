package io.depot.appliance.kernelnfs;

import io.depot.appliance.hypervisor.Accelerator;
import io.depot.appliance.hypervisor.DatastoreLab;
import io.depot.appliance.hypervisor.GuestImage;
import io.depot.appliance.kernelnfs.ClientGuest.Check;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The driver of {@code bench/kernel-client-bench.sh}: one QEMU guest with the kernel NFS client
 * (the {@link KernelNfsClientTest} harness) times file creates, removes, fcntl lock/unlock pairs
 * and 1 MiB sequential I/O against Depot (the appliance's wiring, {@link DatastoreLab}, at
 * {@value DatastoreLab#DATASTORE_IP}) and against an nfs-ganesha the script started in a network
 * namespace of its own ({@code --ganesha-netns}), which this main attaches to the guests' bridge
 * with a veth pair at {@value #GANESHA_IP}. The guest stays up; each round mounts one server then
 * the other (default options, as {@code mount -t nfs}), alternating which goes first.
 *
 * <p>Standard output, one line per measurement, tab-separated: {@code ROW name side value value
 * cpu_us_per_op} (rounds after the warm-up only), and {@code PROFILE row side round client=...
 * server=...}: the procedures the row sent as the guest's kernel counted them ({@code PROC:ops:
 * rtt_ms:exe_ms}, summed) and, for Depot, the server's own time per procedure from its
 * {@code /metrics} ({@code PROC:calls:ms}, summed). Progress goes to standard error.
 *
 * <pre>java ... KernelClientBench --dir DIR --ganesha-netns NAME --ganesha-pid PID --ganesha-export PATH
 *     [--rounds 3] [--warmup 1] [--files 200] [--lock-ops 300] [--mib 32] [--clk-tck 100]</pre>
 */
public final class KernelClientBench {
    static final String GANESHA_IP = "10.9.0.2";
    static final Duration STEP = Duration.ofSeconds(600);
    private static final Pattern RESULT = Pattern.compile("^([0-9.]+)(?: ([0-9]+) ([0-9]+))? \\| ?(.*)$");
    private static final Pattern METRIC = Pattern.compile(
            "^depot_nfs_call_seconds_(count|sum)\\{(?=.*program=\"nfs\")(?=.*procedure=\"([A-Z_]+)\").*\\} ([0-9.eE+-]+)$");

    private KernelClientBench() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new TreeMap<>(Map.of("--rounds", "3", "--warmup", "1", "--files", "200", "--lock-ops", "300",
                "--mib", "32", "--clk-tck", "100"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            o.put(args[i], args[i + 1]);
        }
        for (String required : List.of("--dir", "--ganesha-netns", "--ganesha-pid", "--ganesha-export")) {
            if (!o.containsKey(required)) {
                throw new IllegalArgumentException(required + " is required (see the javadoc of KernelClientBench)");
            }
        }
        Path dir = Path.of(o.get("--dir"));
        Files.createDirectories(dir);
        NfsClientFiles.requireTools();
        GuestImage image = GuestImage.build(dir, NfsClientFiles.contents(dir));
        String accel = Accelerator.choose(image, dir);
        progress("QEMU accelerator " + accel);
        try (LabNetwork net = LabNetwork.create(1); DatastoreLab lab = DatastoreLab.startIn(dir, net.name())) {
            attachGanesha(net.name(), o.get("--ganesha-netns"));
            try (ClientGuest guest = ClientGuest.boot(lab, net, dir, accel, image, "bench", 0, "/vmstore")) {
                guest.awaitReady(Duration.ofSeconds(300));
                new Rounds(lab, guest, o).run();
            }
        }
    }

    /** A veth pair: one end on the lab's bridge, the other as eth0 of ganesha's namespace with {@value #GANESHA_IP}. */
    private static void attachGanesha(String lab, String ganesha) throws IOException, InterruptedException {
        exec("ip", "netns", "exec", lab, "ip", "link", "add", "kcbg", "type", "veth", "peer", "name", "eth0", "netns", ganesha);
        exec("ip", "netns", "exec", lab, "ip", "link", "set", "kcbg", "master", LabNetwork.BRIDGE, "up");
        exec("ip", "netns", "exec", ganesha, "ip", "addr", "add", GANESHA_IP + "/24", "dev", "eth0");
        exec("ip", "netns", "exec", ganesha, "ip", "link", "set", "eth0", "up");
    }

    /** The rounds: each mounts both servers in turn and runs every row on each. */
    private record Rounds(DatastoreLab lab, ClientGuest guest, Map<String, String> o) {
        void run() throws Exception {
            int rounds = Integer.parseInt(o.get("--rounds"));
            int warmup = Integer.parseInt(o.get("--warmup"));
            String files = o.get("--files");
            String mib = o.get("--mib");
            List<String[]> rows = List.of(new String[] {"create", files}, new String[] {"create4k", files},
                    new String[] {"remove", files}, new String[] {"lock", o.get("--lock-ops")}, new String[] {"writedirect", mib},
                    new String[] {"readdirect", mib}, new String[] {"write", mib}, new String[] {"read", mib});
            for (int r = 1 - warmup; r <= rounds; r++) {
                List<String> order = r % 2 != 0 ? List.of("ganesha", "depot") : List.of("depot", "ganesha");
                progress("round " + r + " of " + rounds + (r < 1 ? " (warm-up)" : "") + ": order " + order + ", load " + load());
                for (String side : order) {
                    String server = side.equals("depot") ? DatastoreLab.DATASTORE_IP + ":/vmstore" : GANESHA_IP + ":" + o.get("--ganesha-export");
                    Check mount = only(guest.step("bench_mount", STEP, server.split(":")[0], server.split(":")[1]), "bench-mount");
                    if (!mount.passed()) {
                        throw new IllegalStateException("the guest cannot mount " + server + ": " + mount.detail());
                    }
                    for (String[] row : rows) {
                        measure(side, r, row[0], Integer.parseInt(row[1]));
                    }
                    guest.step("bench_clean", STEP);
                }
            }
        }

        private void measure(String side, int round, String row, int n) throws Exception {
            long pid = side.equals("depot") ? lab.server().pid() : Long.parseLong(o.get("--ganesha-pid"));
            Map<String, double[]> serverBefore = side.equals("depot") ? depotProcedures() : Map.of();
            long cpuBefore = cpuTicks(pid);
            Check c = only(guest.step("bench", STEP, row, Integer.toString(n)), "bench-" + row);
            long cpuAfter = cpuTicks(pid);
            Map<String, double[]> serverAfter = side.equals("depot") ? depotProcedures() : Map.of();
            Matcher m = RESULT.matcher(c.detail());
            if (!c.passed() || !m.matches()) {
                throw new IllegalStateException(row + " on " + side + " failed: " + c.detail());
            }
            long cpuUs = (cpuAfter - cpuBefore) * 1_000_000L / Long.parseLong(o.get("--clk-tck")) / n;
            progress("  " + row + " on " + side + ": " + c.detail() + "; server CPU " + cpuUs + " us per op");
            if (round < 1) {
                return;
            }
            boolean throughput = m.group(2) == null;
            // bench_row's columns (lib.sh): row, side, value, MiB/s (the value again), server CPU per op
            System.out.printf("ROW\t%s\t%s\t%s\t%3$s\t%d%n", row + (throughput ? " MiB/s" : " ops/s"), side, m.group(1), cpuUs);
            if (!throughput) {
                System.out.printf("ROW\t%s median us\t%s\t%s\t%3$s\t%d%n", row, side, m.group(2), cpuUs);
                System.out.printf("ROW\t%s p90 us\t%s\t%s\t%3$s\t%d%n", row, side, m.group(3), cpuUs);
            }
            StringBuilder server = new StringBuilder();
            serverAfter.forEach((proc, after) -> {
                double[] before = serverBefore.getOrDefault(proc, new double[2]);
                if (after[0] > before[0]) {
                    server.append(String.format("%s:%.0f:%.1f ", proc, after[0] - before[0], (after[1] - before[1]) * 1000));
                }
            });
            System.out.printf("PROFILE\t%s\t%s\t%d\tclient=%s\tserver=%s%n", row, side, round, m.group(4).trim(), server.toString().trim());
            System.out.flush();
        }

        /** Depot's calls and seconds per NFS procedure so far, from its /metrics. */
        private Map<String, double[]> depotProcedures() throws IOException, InterruptedException {
            String text = lab.ok(List.of("curl", "-sf", "http://127.0.0.1:8421/metrics"), 30);
            Map<String, double[]> byProcedure = new TreeMap<>();
            for (String line : text.split("\n")) {
                Matcher m = METRIC.matcher(line);
                if (m.matches()) {
                    byProcedure.computeIfAbsent(m.group(2), k -> new double[2])[m.group(1).equals("count") ? 0 : 1] += Double.parseDouble(m.group(3));
                }
            }
            return byProcedure;
        }
    }

    private static Check only(Map<String, Check> checks, String name) {
        Check c = checks.get(name);
        if (c == null) {
            throw new IllegalStateException("the guest reported no " + name + ": " + checks);
        }
        return c;
    }

    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime: fields 14 and 15
    }

    private static String load() throws IOException {
        return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    }

    private static void progress(String line) {
        System.err.println(line);
        System.err.flush();
    }

    private static void exec(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
    }
}
