package io.depot.nfs;

import static io.depot.nfs.NetnsScenario.assertPrinted;
import static io.depot.nfs.NetnsScenario.assertPrintedMatching;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Depot's status monitor (NSM, program 100024) against Debian's rpcbind, rpc.statd and
 * sm-notify, in a private network namespace where port 111 is free: Depot telling a real statd
 * of its restart, and the real sm-notify telling Depot that a client rebooted. Needs root
 * (unshare -n -m) and Debian's rpcbind and nfs-common (.ci/run installs them); fails, saying what
 * is missing, where they are not.
 */
class NsmInteropTest {
    @TempDir
    Path tmp;

    private String scenario(String name) throws Exception {
        NetnsScenario.requireNamespaceAnd("Debian's rpcbind and nfs-common (.ci/run does)",
                "rpcbind", "rpcinfo", "/usr/sbin/rpc.statd", "/usr/sbin/sm-notify", "ip");
        return NetnsScenario.run(tmp, "nsm-netns.sh", 180, name).out();
    }

    @Test
    void depotsRestartNoticeIsAcceptedByARealStatdWhichCallsItsLockManagerBack() throws Exception {
        String out = scenario("send");
        // statd accepted the SM_MON of Depot's address (from loopback, as a lock manager would)
        assertPrintedMatching(out, out, "MON res=0 state=\\d+");
        assertPrintedMatching(out, out, "DEPOT state=3 to-reclaim=\\[nsm-client.test\\]");
        assertPrinted(out, out, "NOTIFIER [NOTIFIED]");
        // statd matched our SM_NOTIFY to the host it monitors and called its lock manager back
        // with our new state and the cookie it was given
        assertPrinted(out, out, "CALLBACK mon_name=127.0.0.1 state=3 cookie=ours");
        assertPrinted(out, out, "Received SM_NOTIFY from 127.0.0.1, state: 3");
    }

    @Test
    void theRealSmNotifyTellsDepotThatAClientRebooted() throws Exception {
        String out = scenario("receive");
        assertPrintedMatching(out, out, "MON res=0 state=\\d+");
        assertPrinted(out, out, "READY mode=EMBEDDED state=1");
        // non-local callers: SM_MON refused, SM_SIMU_CRASH ignored, garbage refused, still up
        assertPrinted(out, out, "PROBE MON res=1", "PROBE NOTIFY-GARBAGE accepted GARBAGE_ARGS", "PROBE NULL accepted SUCCESS");
        assertPrintedMatching(out, out, "PROBE SIMU_CRASH accepted SUCCESS state (\\d+)->\\1\\b");
        // sm-notify read statd's record, found our status monitor through our portmapper and
        // named the client as its lock manager did: the reboot listener got that name
        assertPrinted(out, out, "REBOOTED nsm-client.test", "MONITORED []");
        assertFalse(out.contains("Exception"), out);
    }
}
