package io.depot.nfs;

import static io.depot.nfs.NetnsScenario.assertPrinted;
import static io.depot.nfs.NetnsScenario.assertPrintedMatching;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Independent clients that insist on port 111 (rpcinfo -p, showmount, libnfs's nfs-ls) against
 * our gateway, in a private network namespace so that port 111 there is ours to take (or a real
 * rpcbind's). Needs root (unshare -n -m) and Debian's rpcbind, nfs-common and libnfs-utils
 * (.ci/run installs them); fails, saying what is missing, where they are not.
 */
class PortmapInteropTest {
    @TempDir
    Path tmp;

    private String scenario(String name) throws Exception {
        NetnsScenario.requireNamespaceAnd("Debian's rpcbind, nfs-common and libnfs-utils (.ci/run does)",
                "rpcinfo", "showmount", "nfs-ls", "rpcbind");
        return NetnsScenario.run(tmp, "portmap-netns.sh", 120, name).out();
    }

    @Test
    void embeddedPortmapperOnPort111ServesRpcinfoShowmountAndLibnfs() throws Exception {
        String out = scenario("embedded");
        assertPrinted(out, out, "READY mode=EMBEDDED");
        // rpcinfo -p: PMAPPROC_DUMP
        assertPrintedMatching(out, out, "100000\\s+2\\s+tcp\\s+111\\s+portmapper", "100005\\s+3\\s+tcp\\s+\\d+\\s+mountd");
        // rpcinfo -t: GETPORT then NULL on the mount port
        assertPrinted(out, out, "program 100005 version 3 ready and waiting");
        // showmount -e: GETPORT + MOUNT v1/v3 EXPORT
        assertTrue(out.contains("/open    (everyone)") || out.matches("(?s).*/open\\s+\\(everyone\\).*"), out);
        assertPrintedMatching(out, out, "/private\\s+10\\.9\\.9\\.9");
        // nfs-ls: GETPORT for MOUNT v3, MNT; it then fails to find NFS (not served yet), but
        // showmount -a (DUMP) proves the MNT landed
        assertPrinted(out, out, "127.0.0.1:/open", "CLOSED");
    }

    @Test
    void withASystemRpcbindWeRegisterAndUnregister() throws Exception {
        String out = scenario("rpcbind");
        assertPrinted(out, out, "READY mode=SYSTEM_RPCBIND", "program 100005 version 3 ready and waiting");
        assertPrintedMatching(out, out, "/private\\s+10\\.9\\.9\\.9");
        String after = out.substring(out.indexOf("== after shutdown"));
        assertFalse(after.contains("mountd"), "registrations must be gone after shutdown:\n" + out);
        assertTrue(after.contains("portmapper"), out);
    }
}
