package io.depot.appliance.hypervisor;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One QEMU process: a hypervisor host running the test guest with its disk on Depot. The guest's
 * serial console and QMP are Unix sockets the test listens on and QEMU connects to at start, so
 * nothing the guest prints is missed. With an incoming port it waits for a live migration.
 */
public final class Vm implements AutoCloseable {
    /** A hypervisor host: its iSCSI initiator name and the address it reaches the datastore through. */
    record Host(String name, String initiatorName, String datastoreIp) {}

    /** A VM disk on Depot: a LUN or a file on the NFS export. */
    record Disk(String iqn, int lun, String nfsPath, String format) {
        static Disk iscsi(String iqn, int lun) { return new Disk(iqn, lun, null, "raw"); }

        static Disk nfs(String path, String format) { return new Disk(null, -1, path, format); }

        String url(Host host) {
            return iqn != null
                    ? "iscsi://" + host.datastoreIp() + ":" + DatastoreServerMain.ISCSI_PORT + "/" + iqn + "/" + lun
                    : "nfs://" + host.datastoreIp() + nfsPath;
        }

        /** qemu-img's source options for reading this disk as the host. */
        List<String> imageOpts(Host host) {
            return iqn != null
                    ? List.of("--image-opts", "driver=raw,file.driver=iscsi,file.transport=tcp,file.portal=" + host.datastoreIp() + ":"
                            + DatastoreServerMain.ISCSI_PORT + ",file.target=" + iqn + ",file.lun=" + lun + ",file.initiator-name=" + host.initiatorName())
                    : List.of("-f", format, url(host));
        }
    }

    /** How the guest runs: write numbered blocks until told to stop, or check what the disk holds. */
    record Guest(String mode, String run, int maxBlocks) {}

    /** Small, so that migrating under TCG is quick; Debian's kernel does not come up in 64 MiB (QEMU just resets). */
    static final int MEMORY_MIB = 128;

    private final String name;
    private final Process process;
    private final Path qemuLog;
    private final SerialConsole console;
    private final Qmp qmp;
    private final List<AutoCloseable> sockets;

    private Vm(String name, Process process, Path qemuLog, SerialConsole console, Qmp qmp, List<AutoCloseable> sockets) {
        this.name = name;
        this.process = process;
        this.qemuLog = qemuLog;
        this.console = console;
        this.qmp = qmp;
        this.sockets = sockets;
    }

    /** The QEMU command line (without the sockets), as a user would type it on the host. */
    static List<String> commandLine(String accel, GuestImage image, Host host, Disk disk, Guest guest) {
        List<String> c = new ArrayList<>(List.of("qemu-system-x86_64", "-name", host.name(), "-accel", accel,
                "-machine", "pc", "-m", String.valueOf(MEMORY_MIB), "-smp", "1",
                "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                "-kernel", image.kernel().toString(), "-initrd", image.initramfs().toString(),
                "-append", "console=ttyS0 quiet panic=-1 depot.mode=" + guest.mode() + " depot.run=" + guest.run() + " depot.max=" + guest.maxBlocks(),
                // cache=none: no host page cache, so the other host sees every write at once (shared-storage migration needs it)
                "-drive", "file=" + disk.url(host) + ",format=" + disk.format() + ",if=none,id=disk0,cache=none",
                "-device", "virtio-blk-pci,drive=disk0"));
        if (disk.iqn() != null) {
            c.addAll(List.of("-iscsi", "initiator-name=" + host.initiatorName()));
        }
        return c;
    }

    static Vm start(DatastoreLab lab, Path dir, String accel, GuestImage image, Host host, Disk disk, Guest guest, Integer incomingPort)
            throws IOException, InterruptedException {
        String name = host.name() + "-" + guest.run() + (incomingPort != null ? "-in" : "");
        Path con = dir.resolve(name + ".con");
        Path mon = dir.resolve(name + ".qmp");
        Files.deleteIfExists(con);
        Files.deleteIfExists(mon);
        ServerSocketChannel conServer = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(con));
        ServerSocketChannel monServer = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(mon));
        List<String> cmd = commandLine(accel, image, host, disk, guest);
        cmd.addAll(List.of("-chardev", "socket,id=con,path=" + con, "-serial", "chardev:con",
                "-chardev", "socket,id=mon,path=" + mon, "-mon", "chardev=mon,mode=control"));
        if (incomingPort != null) {
            cmd.addAll(List.of("-incoming", "tcp:127.0.0.1:" + incomingPort));
        }
        Path qemuLog = dir.resolve(name + ".qemu.log");
        Process p = new ProcessBuilder(lab.inside(cmd)).redirectErrorStream(true).redirectOutput(qemuLog.toFile()).start();
        p.getOutputStream().close();
        Supplier<String> diagnostics = () -> "== QEMU " + name + (p.isAlive() ? " (running)" : " (exit " + p.exitValue() + ")")
                + ":\n" + read(qemuLog) + "\n== command: " + String.join(" ", cmd);
        SocketChannel conChannel = accept(conServer, p, diagnostics);
        SocketChannel monChannel = accept(monServer, p, diagnostics);
        SerialConsole console = new SerialConsole(conChannel, dir.resolve(name + ".console.log"), diagnostics);
        Qmp qmp = new Qmp(monChannel, diagnostics);
        qmp.execute("qmp_capabilities");
        return new Vm(name, p, qemuLog, console, qmp, List.of(conServer, monServer, monChannel));
    }

    /** Waits (a bounded time, watching the process) for QEMU to connect to one of our sockets. */
    public static SocketChannel accept(ServerSocketChannel server, Process p, Supplier<String> diagnostics) throws IOException {
        server.configureBlocking(false);
        try (Selector sel = Selector.open()) {
            server.register(sel, SelectionKey.OP_ACCEPT);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                sel.select(500);   // wakes on the connection; the timeout only rechecks that QEMU still runs
                SocketChannel c = server.accept();
                if (c != null) {
                    c.configureBlocking(true);
                    return c;
                }
                if (!p.isAlive()) {
                    fail("QEMU exited before connecting its console/monitor\n" + diagnostics.get());
                }
            }
        }
        return fail("QEMU did not connect its console/monitor within 60 s\n" + diagnostics.get());
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String name() { return name; }

    SerialConsole console() { return console; }

    Qmp qmp() { return qmp; }

    Process process() { return process; }

    String qemuOutput() { return read(qemuLog); }

    /** Waits for QEMU to end by itself (the guest powered off); returns its exit code. */
    int awaitExit(Duration timeout) throws InterruptedException {
        assertTrue(process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS),
                () -> name + " did not exit within " + timeout.toSeconds() + " s\n" + console.transcript());
        return process.exitValue();
    }

    /** Asks QEMU to quit (QMP) and waits for it. */
    void quit() throws InterruptedException {
        qmp.execute("quit");
        awaitExit(Duration.ofSeconds(60));
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor();
        }
        console.close();
        for (AutoCloseable s : sockets) {
            s.close();
        }
    }
}
