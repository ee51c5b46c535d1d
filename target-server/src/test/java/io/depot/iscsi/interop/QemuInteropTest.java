package io.depot.iscsi.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QEMU's own iSCSI block driver (the code path a KVM host uses to attach a disk) against Depot:
 * qemu-img convert/compare, a qcow2 image created on the LUN, qemu-io patterns; what it wrote
 * is checked through the engine directly, not only through QEMU.
 */
class QemuInteropTest {
    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    @TempDir Path dir;

    @Test
    void qemuImgConvertsComparesAndQemuIoWritesPatterns() throws Exception {
        ExternalTool.require("qemu-img", "qemu-utils");
        ExternalTool.require("qemu-io", "qemu-utils");
        try (TargetFixture target = new TargetFixture(dir, 64L << 20, 0)) {
            String url = target.url(0);
            byte[] image = new byte[16 << 20];
            new Random(5).nextBytes(image);
            Path src = dir.resolve("src.img");
            Files.write(src, image);

            ExternalTool.check(TIMEOUT, "qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", src.toString(), url);
            // the engine holds exactly those bytes
            ByteBuffer back = ByteBuffer.allocate(image.length);
            target.volume.read(0, back);
            assertArrayEquals(image, back.array());
            // qemu-img compare reads the LUN back and finds the same bytes (the rest of the LUN reads as zeros)
            String same = ExternalTool.check(TIMEOUT, "qemu-img", "compare", "-f", "raw", "-F", "raw", src.toString(), url);
            assertTrue(same.contains("Images are identical"), same);

            // a byte changed behind QEMU's back is found by compare
            target.volume.write(4096, ByteBuffer.wrap(new byte[512]));
            ExternalTool.Result diff = ExternalTool.run(TIMEOUT, "qemu-img", "compare", "-f", "raw", "-F", "raw", src.toString(), url);
            assertNotEquals(0, diff.exitCode(), diff.output());

            String io = ExternalTool.check(TIMEOUT, "qemu-io", "-f", "raw",
                    "-c", "write -P 0xa5 1M 1M", "-c", "write -P 0x3c 7680 512", "-c", "discard 4M 1M",
                    "-c", "read -P 0xa5 1M 1M", "-c", "read -P 0x3c 7680 512", "-c", "read -P 0 4M 1M", url);
            assertTrue(!io.contains("Pattern verification failed") && !io.toLowerCase().contains("error"), io);
            ByteBuffer b = ByteBuffer.allocate(512);
            target.volume.read(7680, b);
            for (byte x : b.array()) {
                assertEquals((byte) 0x3c, x);
            }
        }
    }

    @Test
    void aQcow2ImageLivesOnTheLun() {
        ExternalTool.require("qemu-img", "qemu-utils");
        try (TargetFixture target = new TargetFixture(dir, 256L << 20, 0)) {
            String url = target.url(0);
            ExternalTool.check(TIMEOUT, "qemu-img", "create", "-f", "qcow2", url, "128M");
            String io = ExternalTool.check(TIMEOUT, "qemu-io", "-f", "qcow2", "-c", "write -P 0x77 10M 3M",
                    "-c", "read -P 0x77 10M 3M", "-c", "read -P 0 0 1M", url);
            assertTrue(!io.contains("Pattern verification failed"), io);
            String check = ExternalTool.check(TIMEOUT, "qemu-img", "check", "-f", "qcow2", url);
            assertTrue(check.contains("No errors were found"), check);
            String info = ExternalTool.check(TIMEOUT, "qemu-img", "info", "-f", "qcow2", url);
            assertTrue(info.contains("virtual size: 128 MiB"), info);
        }
    }
}
