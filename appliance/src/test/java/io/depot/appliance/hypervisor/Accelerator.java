package io.depot.appliance.hypervisor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * KVM when it is there and fast enough, else TCG (QEMU's emulator). /dev/kvm exists on some of
 * these machines but nested KVM can be slower than emulation, so a present /dev/kvm is probed:
 * the guest boots to its init under KVM within {@value #PROBE_SECONDS} s or we emulate.
 * The environment variable {@code DEPOT_HV_ACCEL=kvm|tcg} decides instead.
 */
public final class Accelerator {
    static final int PROBE_SECONDS = 20;

    private Accelerator() {}

    public static String choose(GuestImage image, Path scratch) throws IOException, InterruptedException {
        String forced = System.getenv("DEPOT_HV_ACCEL");
        if (forced != null && !forced.isBlank()) {
            return forced;
        }
        Path kvm = Path.of("/dev/kvm");
        if (!Files.isReadable(kvm) || !Files.isWritable(kvm)) {
            return "tcg";
        }
        Path out = scratch.resolve("kvm-probe.log");
        Process p = new ProcessBuilder(List.of("qemu-system-x86_64", "-accel", "kvm", "-machine", "pc", "-m", String.valueOf(Vm.MEMORY_MIB),
                "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot", "-serial", "stdio",
                "-kernel", image.kernel().toString(), "-initrd", image.initramfs().toString(),
                "-append", "console=ttyS0 quiet panic=-1 depot.mode=probe"))
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        p.getOutputStream().close();
        if (!p.waitFor(PROBE_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            return "tcg";
        }
        return p.exitValue() == 0 && Files.readString(out).contains("DEPOT-GUEST PROBE") ? "kvm" : "tcg";
    }
}
