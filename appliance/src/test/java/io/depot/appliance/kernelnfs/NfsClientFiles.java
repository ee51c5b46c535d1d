package io.depot.appliance.kernelnfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.appliance.hypervisor.GuestImage;
import io.depot.appliance.hypervisor.GuestImage.Entry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a guest needs to be an NFS client the way a Debian hypervisor host is: the kernel's NFS
 * modules, Debian's {@code mount.nfs}, {@code rpc.statd}, {@code sm-notify} and {@code rpcbind}
 * (copied from this machine's nfs-common and rpcbind with every library {@code ldd} lists and the
 * loader), the files libtirpc and the daemons read, and {@code nfscheck}, a static C tool for locks
 * and data compiled here from {@code kernelnfs/nfscheck.c}.
 */
final class NfsClientFiles {
    /** virtio_pci and virtio_net for the network; nfsv4 too, so that a default mount really negotiates (down to v3). */
    static final List<String> MODULES = List.of("virtio_pci", "virtio_net", "nfsv3", "nfsv4");
    static final List<String> BINARIES = List.of("/usr/sbin/mount.nfs", "/usr/sbin/rpc.statd", "/usr/sbin/sm-notify",
            "/usr/sbin/rpcbind", "/usr/sbin/rpcinfo");
    private static final Pattern LDD_PATH = Pattern.compile("(/\\S+) \\(0x");

    private NfsClientFiles() {}

    /** Checks what the guest copies from this machine is installed; fails saying what to install. */
    static void requireTools() throws IOException, InterruptedException {
        for (String[] tool : new String[][] {{"qemu-system-x86_64", "qemu-system-x86"}, {"busybox", "busybox-static"},
                {"mount.nfs", "nfs-common"}, {"rpc.statd", "nfs-common"}, {"rpcbind", "rpcbind"}, {"rpcinfo", "rpcbind"},
                {"nfs-cp", "libnfs-utils"}, {"qemu-io", "qemu-utils and qemu-block-extra"}, {"gcc", "gcc and libc6-dev"}, {"ldd", "libc-bin"}, {"ip", "iproute2"}, {"nsenter", "util-linux"}}) {
            assertEquals(0, exec(List.of("sh", "-c", "PATH=$PATH:/usr/sbin:/sbin command -v " + tool[0])).exit(),
                    tool[0] + " is missing: install " + tool[1]);
        }
    }

    static GuestImage.Contents contents(Path scratch) throws IOException, InterruptedException {
        Map<String, Entry> files = new HashMap<>();
        for (String binary : BINARIES) {
            addWithLibraries(files, Path.of(binary));
        }
        files.put("usr/bin/nfscheck", Entry.file(0755, compileNfscheck(scratch)));
        for (String etc : List.of("/etc/netconfig", "/etc/services", "/etc/protocols")) {
            files.put(etc.substring(1), Entry.file(0644, Files.readAllBytes(Path.of(etc))));
        }
        // rpcbind switches to _rpc; statd to the owner of /var/lib/nfs/sm (root here)
        files.put("etc/passwd", text("root:x:0:0:root:/root:/bin/sh\n_rpc:x:102:65534::/run/rpcbind:/bin/false\n"
                + "statd:x:103:65534::/var/lib/nfs:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"));
        files.put("etc/group", text("root:x:0:\nnogroup:x:65534:\n"));
        files.put("etc/nsswitch.conf", text("passwd: files\ngroup: files\nhosts: files\n"));
        files.put("etc/hosts", text("127.0.0.1 localhost\n"));
        files.put("etc/mtab", Entry.symlink("/proc/mounts"));
        files.put("var/run", Entry.symlink("/run"));
        files.put("var/lib/nfs/state", Entry.file(0644, new byte[4]));
        for (String dir : List.of("var/lib/nfs/sm", "var/lib/nfs/sm.bak", "run/rpcbind", "mnt")) {
            files.put(dir, Entry.directory());
        }
        return new GuestImage.Contents(MODULES, resource("nfs-client-init.sh"), files);
    }

    /** The binary and every library ldd lists (the loader included), each at its own path. */
    private static void addWithLibraries(Map<String, Entry> files, Path binary) throws IOException, InterruptedException {
        files.put(binary.toString().substring(1), Entry.file(0755, Files.readAllBytes(binary)));
        Exec ldd = exec(List.of("ldd", binary.toString()));
        assertEquals(0, ldd.exit(), "ldd " + binary + ": " + ldd.out());
        Matcher m = LDD_PATH.matcher(ldd.out());
        while (m.find()) {
            Path lib = Path.of(m.group(1));
            files.putIfAbsent(lib.toString().substring(1), Entry.file(0755, Files.readAllBytes(lib.toRealPath())));
        }
        assertTrue(files.containsKey("lib64/ld-linux-x86-64.so.2"), "ldd named no loader for " + binary + ": " + ldd.out());
    }

    /** gcc -static: the initramfs has no libc for nfscheck to link against (only the copied daemons' own). */
    private static byte[] compileNfscheck(Path scratch) throws IOException, InterruptedException {
        Path source = scratch.resolve("nfscheck.c");
        Files.write(source, resource("nfscheck.c").clone());
        Path out = scratch.resolve("nfscheck");
        Exec gcc = exec(List.of("gcc", "-static", "-O2", "-Wall", "-Werror", "-o", out.toString(), source.toString()));
        assertEquals(0, gcc.exit(), "gcc -static nfscheck.c failed (needs gcc and libc6-dev):\n" + gcc.out());
        return Files.readAllBytes(out);
    }

    private static Entry text(String s) {
        return Entry.file(0644, s.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = NfsClientFiles.class.getResourceAsStream("/kernelnfs/" + name)) {
            if (in == null) {
                throw new IOException("missing test resource /kernelnfs/" + name);
            }
            return in.readAllBytes();
        }
    }

    record Exec(int exit, String out) {}

    private static Exec exec(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Exec(-1, out + "\n(timed out)");
        }
        return new Exec(p.exitValue(), out);
    }
}
