package io.depot.appliance.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The test guest: Debian's kernel (from its package, cached under {@code ~/.cache/depot-hv}, or {@code $DEPOT_HV_CACHE}, by
 * {@code hypervisor/fetch-kernel.sh}) and an initramfs built here: Debian's static busybox, the
 * kernel modules the guest needs (with what they depend on, listed in load order in /modules/order)
 * and an init script as /init; by default the virtio disk's modules and {@code hypervisor/guest-init.sh}.
 */
public record GuestImage(Path kernel, Path initramfs) {
    static final String BUSYBOX = "/bin/busybox";

    /** What goes into an initramfs besides busybox: modules (dependencies are added), /init, and more files. */
    public record Contents(List<String> modules, byte[] init, Map<String, Entry> files) {
        /** The virtio disk guest of the shared-datastore tests. */
        static Contents disk() throws IOException {
            return new Contents(List.of("virtio_pci", "virtio_blk"), resource("guest-init.sh"), Map.of());
        }
    }

    /** A file, a directory or a symbolic link in the initramfs. */
    public record Entry(int mode, byte[] data, String linkTarget) {
        public static Entry file(int mode, byte[] data) { return new Entry(mode, data, null); }

        public static Entry directory() { return new Entry(0755, null, null); }

        public static Entry symlink(String target) { return new Entry(0777, null, target); }
    }

    static GuestImage build(Path scratch) throws IOException, InterruptedException {
        return build(scratch, Contents.disk());
    }

    /** Fetches the kernel and the modules (cached) and writes the initramfs to {@code scratch/initramfs.cpio}. */
    public static GuestImage build(Path scratch, Contents contents) throws IOException, InterruptedException {
        assertTrue(exec("dpkg", "-s", "busybox-static") == 0, "the guest needs Debian's busybox-static (a busybox that runs without a libc)");
        String dir = System.getenv("DEPOT_HV_CACHE");
        Path cache = Path.of(dir != null && !dir.isBlank() ? dir : System.getProperty("user.home") + "/.cache/depot-hv");
        Path script = scratch.resolve("fetch-kernel.sh");
        Files.write(script, resource("fetch-kernel.sh"));
        Path out = scratch.resolve("fetch-kernel.out");
        List<String> command = new ArrayList<>(List.of("bash", script.toString(), cache.toString()));
        command.addAll(contents.modules());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertTrue(p.waitFor(600, TimeUnit.SECONDS), "fetching the kernel package took over 10 minutes");
        List<String> lines = Files.readAllLines(out);
        assertEquals(0, p.exitValue(), () -> "fetch-kernel.sh failed:\n" + String.join("\n", lines));
        Path kernelDir = Path.of(lines.getLast());
        Path modules = kernelDir.resolve("modules");
        List<String> order = lines.stream().filter(l -> l.startsWith("module ")).map(l -> l.substring("module ".length())).toList();

        Path initramfs = scratch.resolve("initramfs.cpio");
        try (OutputStream os = Files.newOutputStream(initramfs)) {
            Cpio cpio = new Cpio(os);
            for (String d : List.of("bin", "dev", "proc", "sys", "tmp", "modules")) {
                cpio.directory(d);
            }
            cpio.file("init", 0755, contents.init());
            cpio.file("bin/busybox", 0755, Files.readAllBytes(Path.of(BUSYBOX)));
            cpio.file("modules/order", 0644, (String.join("\n", order) + "\n").getBytes(StandardCharsets.US_ASCII));
            for (String m : order) {
                cpio.file("modules/" + m + ".ko", 0644, Files.readAllBytes(modules.resolve(m + ".ko")));
            }
            Set<String> dirs = new HashSet<>(List.of("bin", "dev", "proc", "sys", "tmp", "modules"));
            for (Map.Entry<String, Entry> e : new TreeMap<>(contents.files()).entrySet()) {
                String name = e.getKey();
                for (int slash = name.indexOf('/'); slash > 0; slash = name.indexOf('/', slash + 1)) {
                    if (dirs.add(name.substring(0, slash))) {
                        cpio.directory(name.substring(0, slash));
                    }
                }
                Entry entry = e.getValue();
                if (entry.linkTarget() != null) {
                    cpio.symlink(name, entry.linkTarget());
                } else if (entry.data() == null) {
                    if (dirs.add(name)) {
                        cpio.directory(name);
                    }
                } else {
                    cpio.file(name, entry.mode(), entry.data());
                }
            }
            // the kernel opens /dev/console for init's output before devtmpfs is mounted
            cpio.characterDevice("dev/console", 0600, 5, 1);
            cpio.trailer();
        }
        return new GuestImage(kernelDir.resolve("vmlinuz"), initramfs);
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = GuestImage.class.getResourceAsStream("/hypervisor/" + name)) {
            if (in == null) {
                throw new IOException("missing test resource /hypervisor/" + name);
            }
            return in.readAllBytes();
        }
    }

    private static int exec(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    /** The "newc" cpio format the kernel unpacks an initramfs from: ASCII-hex headers, 4-byte alignment. */
    static final class Cpio {
        private final OutputStream out;
        private long written;
        private int inode = 1;

        Cpio(OutputStream out) {
            this.out = out;
        }

        void directory(String name) throws IOException {
            entry(name, 0040000 | 0755, 2, 0, 0, new byte[0]);
        }

        void file(String name, int mode, byte[] data) throws IOException {
            entry(name, 0100000 | mode, 1, 0, 0, data);
        }

        void symlink(String name, String target) throws IOException {
            entry(name, 0120000 | 0777, 1, 0, 0, target.getBytes(StandardCharsets.UTF_8));
        }

        void characterDevice(String name, int mode, int major, int minor) throws IOException {
            entry(name, 0020000 | mode, 1, major, minor, new byte[0]);
        }

        void trailer() throws IOException {
            entry("TRAILER!!!", 0, 1, 0, 0, new byte[0]);
        }

        private void entry(String name, int mode, int links, int rdevMajor, int rdevMinor, byte[] data) throws IOException {
            byte[] n = (name + "\0").getBytes(StandardCharsets.US_ASCII);
            StringBuilder h = new StringBuilder("070701");
            // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
            for (long v : new long[] {inode++, mode, 0, 0, links, 0, data.length, 0, 0, rdevMajor, rdevMinor, n.length, 0}) {
                h.append(String.format("%08X", v));
            }
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(h.toString().getBytes(StandardCharsets.US_ASCII));
            b.writeBytes(n);
            write(b.toByteArray());
            pad();
            write(data);
            pad();
        }

        private void write(byte[] b) throws IOException {
            out.write(b);
            written += b.length;
        }

        private void pad() throws IOException {
            while (written % 4 != 0) {
                write(new byte[1]);
            }
        }
    }
}
