package io.depot.nfs;

import static io.depot.nfs.NetnsScenario.assertPrinted;
import static io.depot.nfs.NetnsScenario.assertPrintedMatching;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Independent NFSv3 clients against the gateway, in a private network namespace where port 111
 * is our embedded portmapper (libnfs and QEMU's nfs driver insist on it): libnfs's nfs-cp copies
 * a 20 MiB file in and out byte-identical, nfs-ls lists, nfs-cat reads; qemu-img and qemu-io
 * create a qcow2 and a raw image and write (also unaligned) through nfs:// URLs; raw and qcow2
 * images written the same way on NFS and on a local disk compare identical (qemu-img compare),
 * also after qemu-img resize (raw grown and shrunk, qcow2 grown: sizes by GETATTR and qemu-img
 * info, data kept, the extension zero); after a gateway restart on the same pool everything
 * reads back the same. Needs root (unshare -n -m), Debian's
 * libnfs-utils and qemu-utils + qemu-block-extra; fails, saying what is missing, where they are not.
 */
class NfsInteropTest {
    @TempDir
    Path tmp;

    @Test
    void libnfsAndQemuReadAndWriteThroughTheGatewayAndAfterARestart() throws Exception {
        NetnsScenario.requireNamespaceAnd("Debian's libnfs-utils, qemu-utils and qemu-block-extra",
                "nfs-ls", "nfs-cp", "nfs-cat", "qemu-img", "qemu-io");
        String out = NetnsScenario.run(tmp, "nfs-netns.sh", 300).out();

        assertPrinted(out, out, "READY mode=EMBEDDED", "copied 20971853 bytes", "BIG COPY IDENTICAL\n");
        assertPrintedMatching(out, out, "-rw\\S*\\s+1\\s+0\\s+0\\s+20971853 big\\.bin", "== nfs-cat\nhello from depot\n");
        // a subdirectory of the export mounts directly (libnfs/QEMU mount a URL's directory); a missing one does not
        assertPrintedMatching(out, out, "== nfs-cat subdir\nhello from depot\n");
        assertPrinted(out, out, "subdir virtual size: 16 MiB (16777216 bytes)");
        assertPrintedMatching(out, out, "missing subdir exit=[1-9]");
        assertPrinted(out, out, "wrote 3145728/3145728 bytes at offset 1048576", "wrote 70000/70000 bytes at offset 513",
                "virtual size: 64 MiB (67108864 bytes)");
        // after the restart: same names, same bytes, qcow2 metadata intact
        String after = out.substring(out.indexOf("== restart"));
        assertPrintedMatching(out, after, "16777216 raw\\.img", "== nfs-cat after restart\nhello from depot\n");
        assertPrinted(out, after, "read 3145728/3145728 bytes at offset 1048576", "read 513/513 bytes at offset 0",
                "read 1000/1000 bytes at offset 70513", "No errors were found on the image.", "BIG COPY IDENTICAL AFTER RESTART");
        // images written the same way on NFS and locally compare identical, before and after
        // resizing (raw grown and shrunk, qcow2 grown), and after the restart; a one-byte change is seen
        for (String c : new String[] {"raw compare", "qcow2 compare", "raw grown compare", "raw shrunk compare",
                "qcow2 grown compare", "raw compare after restart", "qcow2 compare after restart"}) {
            assertTrue(out.contains("Images are identical.\n" + c + " rc=0\n"), c + ":\n" + out);
        }
        // (byte 7777777 changed; compare names the start of its 512-byte sector)
        assertTrue(out.contains("Content mismatch at offset 7777280!\nchanged compare exit 1\n"), out);
        assertPrinted(out, out, "virtual size: 48 MiB (50331648 bytes)");
        assertTrue(out.matches("(?s).*-rw\\S*\\s+1\\s+0\\s+0\\s+50331648 cmp\\.img.*"), "GETATTR size after the raw grow:\n" + out);
        assertPrinted(out, out, "read 16777216/16777216 bytes at offset 33554432", "virtual size: 31 MiB (32505856 bytes)",
                "read 1048576/1048576 bytes at offset 31457280", "virtual size: 128 MiB (134217728 bytes)",
                "read 67108864/67108864 bytes at offset 67108864");
        assertTrue(out.contains("No errors were found on the image.\n") && out.contains("check rc=0\n"), out);
        assertFalse(out.contains("Pattern verification failed"), out);
        assertFalse(out.contains("rc=1\n") || out.contains("rc=10\n"), out);
    }
}
