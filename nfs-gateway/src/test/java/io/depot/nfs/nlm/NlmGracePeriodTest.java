package io.depot.nfs.nlm;

import static io.depot.nfs.nlm.NlmLockingTest.pollUntil;
import static io.depot.nfs.nlm.NlmServer.fh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** After a restart: reclaims only, until the awaited hosts have reclaimed or the time is up; none on a first start. */
class NlmGracePeriodTest {
    static final byte[] DISK = fh(5);

    @Test
    void withNoHostToWaitForThereIsNoGracePeriod() throws Exception {
        assertFalse(GracePeriod.start(Duration.ofSeconds(90), List.of()).active());
        assertFalse(GracePeriod.start(Duration.ZERO, List.of("hosta")).active(), "configured off");
        try (NlmServer server = new NlmServer(); NlmClient a = server.client(Nlm.VERSION_4, "hosta")) {
            server.nlm.beginGracePeriod(List.of());
            assertEquals(NlmStatus.GRANTED, a.lock(DISK, 1, 0, 1, true, false));
        }
    }

    @Test
    void onlyReclaimsUntilEveryHostHasReclaimed() throws Exception {
        try (NlmServer server = new NlmServer(); NlmClient a = server.client(Nlm.VERSION_4, "hosta");
             NlmClient b = server.client(Nlm.VERSION_4, "hostb"); NlmClient v1 = server.client(Nlm.VERSION_1, "hostc")) {
            server.nlm.beginGracePeriod(List.of("HostA.", "hostb"));
            assertTrue(server.nlm.gracePeriod().active());
            assertEquals(Set.of("hosta", "hostb"), server.nlm.gracePeriod().awaiting());

            assertEquals(NlmStatus.DENIED_GRACE_PERIOD, b.lock(DISK, 2, 100, 1, true, false), "a new lock waits");
            assertEquals(NlmStatus.DENIED_GRACE_PERIOD, b.test(DISK, 2, 100, 1, true).status());
            assertEquals(NlmStatus.DENIED_GRACE_PERIOD, b.share(DISK, new byte[] {2}, 1, 0, false));
            assertEquals(NlmStatus.DENIED_GRACE_PERIOD, v1.lock(DISK, 3, 0, 1, false, false), "nlm_stats 4 in v1");

            assertEquals(NlmStatus.GRANTED, a.reclaim(DISK, 1, 0, 10, true));
            assertEquals(NlmStatus.DENIED, b.reclaim(DISK, 2, 5, 1, false), "a reclaim still conflicts");
            assertEquals(NlmStatus.GRANTED, b.share(DISK, new byte[] {2}, 1, 0, true), "a share reclaim");
            assertEquals(NlmStatus.GRANTED, a.unlock(DISK, 1, 5, 5), "unlock always works");
            assertEquals(NlmStatus.GRANTED, b.cancel(DISK, 2, 5, 1, false), "cancel always works");
            assertEquals(Set.of(), server.nlm.gracePeriod().awaiting());

            pollUntil(() -> !server.nlm.gracePeriod().active()); // after a quiet moment
            assertEquals(NlmStatus.GRANTED, b.lock(DISK, 2, 100, 1, true, false));
            assertEquals(NlmStatus.DENIED, b.test(DISK, 2, 0, 1, true).status(), "a's reclaimed lock holds");
        }
    }

    @Test
    void endsWhenItsTimeIsUpThoughAHostNeverReclaimed() throws Exception {
        NlmSettings quick = NlmSettings.defaults().withGracePeriod(Duration.ofMillis(300));
        try (NlmServer server = new NlmServer(quick); NlmClient b = server.client(Nlm.VERSION_4, "hostb")) {
            server.nlm.beginGracePeriod(List.of("hosta"));
            assertEquals(NlmStatus.DENIED_GRACE_PERIOD, b.lock(DISK, 2, 0, 1, true, false));
            pollUntil(() -> !server.nlm.gracePeriod().active());
            assertEquals(NlmStatus.GRANTED, b.lock(DISK, 2, 0, 1, true, false));
            assertEquals(Set.of("hosta"), server.nlm.gracePeriod().awaiting());
            assertEquals(NlmStatus.GRANTED, b.reclaim(DISK, 2, 0, 1, true), "a late reclaim is an ordinary request");
        }
    }

    @Test
    void aHostThatRebootedIsNotAwaited() {
        GracePeriod g = GracePeriod.start(Duration.ofSeconds(90), List.of("hosta", "hostb"), Duration.ZERO);
        g.reclaimed("hostb");
        assertTrue(g.active(), "hosta has not reclaimed");
        g.hostGone("HOSTA");
        assertFalse(g.active(), "hosta lost its locks when it rebooted: nothing left to wait for");
    }

    @Test
    void anOperatorCanEndIt() {
        GracePeriod g = GracePeriod.start(Duration.ofSeconds(90), List.of("hosta"));
        assertTrue(g.active());
        g.endNow();
        assertFalse(g.active());
    }
}
