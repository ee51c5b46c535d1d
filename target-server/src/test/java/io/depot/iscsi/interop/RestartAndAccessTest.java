package io.depot.iscsi.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import io.depot.iscsi.IscsiService;
import io.depot.iscsi.config.TargetSpec.ChapSpec;
import io.depot.iscsi.fabric.IscsiSettings;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may connect, and what survives a restart: initiator ACLs and CHAP secrets are enforced for
 * libiscsi's tools, and after the service and pool are closed and reopened the same targets,
 * LUN maps, ACLs, secrets and device identifiers are there.
 */
class RestartAndAccessTest {
    private static final Duration T = Duration.ofSeconds(30);
    private static final String IQN = "iqn.2026-11.io.depot:restart";
    private static final String ALLOWED = "iqn.2026-11.test:allowed";
    private static final String OTHER = "iqn.2026-11.test:other";

    @TempDir Path dir;

    private static IscsiService start(Pool pool) {
        return new IscsiService(pool).start(IscsiSettings.defaults().withPortal(new InetSocketAddress("127.0.0.1", 0)));
    }

    private static String url(IscsiService s, String secret, int lun) {
        return "iscsi://depotuser%" + secret + "@127.0.0.1:" + s.address().getPort() + "/" + IQN + "/" + lun;
    }

    @Test
    void aclAndChapAreEnforcedAndEverythingSurvivesARestart() {
        ExternalTool.require("iscsi-inq", "libiscsi-bin");
        Path poolDir = dir.resolve("pool");
        String naaBefore;
        Pool pool = Pool.create(poolDir, PoolOptions.ofCapacity(1L << 30));
        try (IscsiService s = start(pool)) {
            Volume v = pool.createVolume("disk", 64L << 20);
            v.write(0, ByteBuffer.allocate(512).put(0, (byte) 7));
            Snapshot snap = v.createSnapshot("s1");
            s.createTarget(IQN, "restart test");
            s.mapVolume(IQN, 0, v);
            s.mapSnapshot(IQN, 1, snap);
            s.setAllowedInitiators(IQN, List.of(ALLOWED));
            s.setChap(IQN, new ChapSpec("depotuser", "correct-horse-42"), null);

            naaBefore = checkAccess(s);
        } finally {
            pool.close();
        }

        Pool reopened = Pool.open(poolDir);
        try (IscsiService s = start(reopened)) {
            assertEquals(1, s.targets().size());
            assertEquals(2, s.target(IQN).luns().size());
            String naaAfter = checkAccess(s);
            assertEquals(naaBefore, naaAfter, "the LUN's NAA designator changed across the restart");
            // the snapshot LUN is read-only to an initiator
            String ro = ExternalTool.check(T, "iscsi-inq", "-i", ALLOWED, url(s, "correct-horse-42", 1));
            assertTrue(ro.contains("DIRECT_ACCESS"), ro);
        } finally {
            reopened.close();
        }
    }

    /** Checks the access rules and returns the LUN 0 device identification page as iscsi-inq prints it. */
    private static String checkAccess(IscsiService s) {
        String ok = ExternalTool.check(T, "iscsi-inq", "-i", ALLOWED, url(s, "correct-horse-42", 0));
        assertTrue(ok.contains("Vendor:DEPOT"), ok);
        ExternalTool.Result wrongSecret = ExternalTool.run(T, "iscsi-inq", "-i", ALLOWED, url(s, "wrong-secret-99", 0));
        assertNotEquals(0, wrongSecret.exitCode(), "a wrong CHAP secret logged in:\n" + wrongSecret.output());
        ExternalTool.Result otherInitiator = ExternalTool.run(T, "iscsi-inq", "-i", OTHER, url(s, "correct-horse-42", 0));
        assertNotEquals(0, otherInitiator.exitCode(), "an initiator outside the ACL logged in:\n" + otherInitiator.output());
        String page83 = ExternalTool.check(T, "iscsi-inq", "-i", ALLOWED, "-e", "1", "-c", "131", url(s, "correct-horse-42", 0));
        assertTrue(page83.contains("NAA"), page83);
        return page83.lines().filter(l -> l.contains("NAA") || l.contains("Designator:")).toList().toString();
    }
}
