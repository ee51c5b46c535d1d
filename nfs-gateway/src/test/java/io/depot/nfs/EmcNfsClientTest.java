package io.depot.nfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EMC's Java NFSv3 client (com.emc.ecs:nfs-client, an independent implementation) mounts the
 * gateway's export and runs {@link EmcClientScenarioMain}: create, writes of 1 B to 1 MiB at
 * unaligned offsets and a 2.5 MiB stream, read back identical, getattr, UNSTABLE + COMMIT
 * verifiers, SETATTR truncate and extend, mkdir/readdir/readdirplus/rmdir, rename replacing,
 * remove, symlink/readlink, MKNOD. The client always asks the portmapper on port 111, so the
 * scenario runs in a child JVM in a private network namespace where the gateway's embedded
 * portmapper owns 111. Needs root (unshare -n -m) and iproute2; fails, saying so, where missing.
 */
class EmcNfsClientTest {
    @TempDir
    Path tmp;

    @Test
    void emcJavaClientMountsWritesReadsAndChangesTheNamespace() throws Exception {
        NetnsScenario.requireNamespaceAnd("Debian's iproute2", "ip");
        NetnsScenario.Result r = NetnsScenario.run(tmp, "emc-netns.sh", 240);
        String out = r.out();

        assertTrue(out.contains("READY mode=EMBEDDED"), out);
        for (String step : new String[] {
                "mount", "fsinfo", "root getattr", "create guarded", "writes of 1 B to 1 MiB at unaligned offsets",
                "output stream of 2.5 MiB", "read back identical through the input stream", "reads at unaligned offsets with EOF",
                "unstable writes and commit", "setattr truncate", "setattr extend", "mkdir and readdir of 151 entries",
                "readdirplus with attributes and handles", "rmdir", "rename replacing", "remove", "symlink and readlink",
                "mknod fifo/socket, devices BADTYPE"}) {
            assertTrue(out.contains("ok " + step + "\n"), "step '" + step + "' did not pass:\n" + out);
        }
        assertTrue(out.contains("EMC SCENARIO PASSED"), out);
        assertEquals(0, r.exitValue(), out);
    }
}
