package io.depot.appliance.kernelnfs;

import io.depot.appliance.hypervisor.DatastoreLab;
import io.depot.appliance.hypervisor.GuestImage;
import io.depot.appliance.hypervisor.SerialConsole;
import io.depot.appliance.hypervisor.Vm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A hypervisor host in miniature: QEMU running Debian's kernel with the kernel NFS client, on a tap
 * of the {@link LabNetwork}, whose init ({@code kernelnfs/nfs-client-init.sh}) runs the steps the
 * test sends over the serial console and reports one {@code DEPOT-NFS CHECK name PASS|FAIL detail}
 * line per check.
 */
final class ClientGuest implements AutoCloseable {
    static final int MEMORY_MIB = 256;
    static final Pattern CHECK = Pattern.compile("DEPOT-NFS CHECK (\\S+) (PASS|FAIL) ?(.*)$");

    /** One check's outcome as the guest reported it. */
    record Check(String name, boolean passed, String detail) {}

    private final String name;
    private final Process process;
    private final SerialConsole console;
    private final ServerSocketChannel consoleServer;

    private ClientGuest(String name, Process process, SerialConsole console, ServerSocketChannel consoleServer) {
        this.name = name;
        this.process = process;
        this.console = console;
        this.consoleServer = consoleServer;
    }

    /** Boots the guest (its init comes up to READY in {@link #awaitReady}). {@code index} picks its tap, MAC and address. */
    static ClientGuest boot(DatastoreLab lab, LabNetwork net, Path dir, String accel, GuestImage image, String name, int index, String export)
            throws IOException {
        Path con = dir.resolve(name + ".con");
        Files.deleteIfExists(con);
        ServerSocketChannel conServer = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(con));
        List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64", "-name", name, "-accel", accel,
                "-machine", "pc", "-m", String.valueOf(MEMORY_MIB), "-smp", "1",
                "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                "-kernel", image.kernel().toString(), "-initrd", image.initramfs().toString(),
                "-append", "console=ttyS0 quiet panic=-1 depot.name=" + name + " depot.ip=" + address(index) + "/24"
                        + " depot.server=" + DatastoreLab.DATASTORE_IP + " depot.export=" + export,
                "-netdev", "tap,id=net0,ifname=" + net.tap(index) + ",script=no,downscript=no",
                "-device", "virtio-net-pci,netdev=net0,mac=52:54:00:00:0c:" + String.format("%02x", 0x10 + index),
                "-chardev", "socket,id=con,path=" + con, "-serial", "chardev:con"));
        Path qemuLog = dir.resolve(name + ".qemu.log");
        Process p = new ProcessBuilder(lab.inside(cmd)).redirectErrorStream(true).redirectOutput(qemuLog.toFile()).start();
        p.getOutputStream().close();
        Supplier<String> diagnostics = () -> "== QEMU " + name + (p.isAlive() ? " (running)" : " (exit " + p.exitValue() + ")")
                + ":\n" + read(qemuLog) + "\n== command: " + String.join(" ", cmd);
        SerialConsole console = new SerialConsole(Vm.accept(conServer, p, diagnostics), dir.resolve(name + ".console.log"), diagnostics);
        return new ClientGuest(name, p, console, conServer);
    }

    /** The guest's address on the datastore network: 10.9.0.11, .12, ... */
    static String address(int index) {
        return DatastoreLab.DATASTORE_IP.replaceFirst("\\.1$", "." + (11 + index));
    }

    String name() { return name; }

    /** Waits for the init to have loaded its modules, configured its network and started rpcbind and statd. */
    void awaitReady(Duration timeout) throws InterruptedException {
        Matcher m = console.await(Pattern.compile("DEPOT-NFS (READY|SETUP-FAIL.*)"), 0, timeout);
        if (!m.group(1).equals("READY")) {
            throw new AssertionError(name + " did not come up: " + m.group(1) + "\n" + console.transcript());
        }
    }

    /**
     * Runs a step of the guest's init and returns the checks it reported, in order. The step's end
     * not coming within {@code timeout} (the guest's own timeouts are shorter) fails the test.
     */
    Map<String, Check> step(String step, Duration timeout, String... args) throws InterruptedException {
        int from = console.lineCount();
        console.send("STEP " + step + (args.length == 0 ? "" : " " + String.join(" ", args)));
        console.await(Pattern.compile("DEPOT-NFS END " + Pattern.quote(step) + "$"), from, timeout);
        Map<String, Check> checks = new LinkedHashMap<>();
        List<String> lines = console.lines();
        for (String l : lines.subList(from, lines.size())) {
            Matcher m = CHECK.matcher(l);
            if (m.find()) {
                checks.put(m.group(1), new Check(m.group(1), m.group(2).equals("PASS"), m.group(3)));
            }
        }
        return checks;
    }

    String transcript() { return console.transcript(); }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        console.close();
        consoleServer.close();
    }
}
