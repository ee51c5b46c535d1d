package io.depot.nfs.nsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The status monitor over a real pool (RocksDB): what survives a restart, what a reboot notice frees. */
class StatusMonitorTest {
    @TempDir
    Path tmp;

    private Pool create() {
        return Pool.create(tmp.resolve("pool"), PoolOptions.ofCapacity(1L << 30));
    }

    private Pool reopen() {
        return Pool.open(tmp.resolve("pool"));
    }

    private static InetSocketAddress at(String ip) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(ip), 800);
    }

    @Test
    void monitoredHostsAndAnOddGrowingStateNumberSurviveReopeningThePool() throws Exception {
        int first;
        try (Pool pool = create()) {
            StatusMonitor nsm = StatusMonitor.open(pool.catalog());
            first = nsm.state();
            assertEquals(1, first % 2, "odd while up");
            assertEquals(Set.of(), nsm.hostsToReclaim());
            nsm.monitor("PVE1.lan.", at("127.0.0.5"));
            nsm.monitor("pve1.lan", at("127.0.0.6")); // the same host, seen at a second address
            nsm.monitor("pve2", at("127.0.0.7"));
        }
        int second;
        try (Pool pool = reopen()) {
            StatusMonitor nsm = StatusMonitor.open(pool.catalog());
            second = nsm.state();
            assertTrue(second > first && second % 2 == 1, "state " + second + " after " + first);
            assertEquals(Set.of("PVE1.lan.", "pve2"), nsm.hostsToReclaim());
            MonitoredHost pve1 = nsm.hostsToNotify().stream().filter(h -> h.key().equals("pve1.lan")).findFirst().orElseThrow();
            assertEquals(List.of("127.0.0.6", "127.0.0.5"), pve1.addresses(), "most recent address first");
        }
        try (Pool pool = reopen()) {
            StatusMonitor nsm = StatusMonitor.open(pool.catalog());
            assertTrue(nsm.state() > second && nsm.state() % 2 == 1);
            assertEquals(2, nsm.hostsToReclaim().size(), "hosts never told stay recorded");
        }
    }

    @Test
    void aHostIsDurableWhenMonitorReturnsAndAKnownOneCostsNoCommit() throws Exception {
        try (Pool pool = create()) {
            StatusMonitor nsm = StatusMonitor.open(pool.catalog());
            long commits = pool.catalog().commitCounters().commits();
            nsm.monitor("pve1", at("127.0.0.5"));
            long afterFirst = pool.catalog().commitCounters().commits();
            assertTrue(afterFirst > commits, "the first lock of a host waits for a commit");
            assertTrue(pool.catalog().isDurable(pool.catalog().ticket() - 1), "everything staged before is durable");
            for (int i = 0; i < 50; i++) {
                nsm.monitor("PVE1", at("127.0.0.5"));
            }
            nsm.monitorAsync("pve1", at("127.0.0.5")).get(0, TimeUnit.SECONDS); // already complete
            assertEquals(afterFirst, pool.catalog().commitCounters().commits(), "a known host costs no commit");
            nsm.monitor("pve1", at("127.0.0.6")); // a second address: recorded
            long afterSecond = pool.catalog().commitCounters().commits();
            assertTrue(afterSecond > afterFirst);
            for (int i = 0; i < 20; i++) {
                nsm.monitor("pve1", at(i % 2 == 0 ? "127.0.0.5" : "127.0.0.6"));
            }
            assertEquals(afterSecond, pool.catalog().commitCounters().commits(), "a multi-homed host alternating costs no commit");
            nsm.monitorAsync("pve3", at("127.0.0.9")).get(10, TimeUnit.SECONDS);
        }
        try (Pool pool = reopen()) {
            assertEquals(Set.of("pve1", "pve3"), StatusMonitor.open(pool.catalog()).hostsToReclaim());
        }
    }

    @Test
    void aRebootNoticeByNameOrAddressFreesThatHostAndForgetsIt() throws Exception {
        try (Pool pool = create()) {
            StatusMonitor nsm = StatusMonitor.open(pool.catalog());
            List<String> freed = new ArrayList<>();
            nsm.onReboot(freed::add);
            nsm.monitor("PVE1.Lan", at("127.0.0.5"));
            nsm.monitor("pve2", at("127.0.0.7"));
            nsm.monitor("pve3", at("127.0.0.8"));
            InetSocketAddress sender = at("127.0.0.5");

            assertEquals(List.of(), nsm.rebooted("pve9", 5, sender), "not a monitored host");
            assertEquals(List.of("PVE1.Lan"), nsm.rebooted("pve1.lan.", 5, sender), "normalised name");
            assertEquals(List.of("pve2"), nsm.rebooted("127.0.0.7", 3, sender), "statd may name itself by address");
            assertEquals(List.of("PVE1.Lan", "pve2"), freed);
            assertEquals(List.of(), nsm.rebooted("pve1.lan", 7, sender), "forgotten until it locks again");
            assertEquals(List.of("pve3"), nsm.monitoredHosts().stream().map(MonitoredHost::callerName).toList());
        }
        try (Pool pool = reopen()) {
            assertEquals(Set.of("pve3"), StatusMonitor.open(pool.catalog()).hostsToReclaim(), "rebooted hosts are not told of our restart");
        }
    }

    @Test
    void aHostToldOfTheRestartIsForgottenUnlessItLockedAgain() throws Exception {
        try (Pool pool = create()) {
            StatusMonitor nsm = StatusMonitor.open(pool.catalog());
            nsm.monitor("pve1", at("127.0.0.5"));
            nsm.monitor("pve2", at("127.0.0.7"));
        }
        try (Pool pool = reopen()) {
            StatusMonitor nsm = StatusMonitor.open(pool.catalog());
            List<MonitoredHost> before = nsm.hostsToNotify();
            assertEquals(2, before.size());
            nsm.monitor("pve2", at("127.0.0.7")); // reclaimed before we were done telling it
            before.forEach(nsm::notifyDone);
            assertEquals(List.of(), nsm.hostsToNotify());
            assertEquals(Set.of("pve1", "pve2"), nsm.hostsToReclaim(), "the set of this start does not change");
        }
        try (Pool pool = reopen()) {
            assertEquals(Set.of("pve2"), StatusMonitor.open(pool.catalog()).hostsToReclaim());
        }
    }

    @Test
    void anUnreadableHostRecordIsSkippedAndTheRestServed() throws Exception {
        try (Pool pool = create()) {
            StatusMonitor.open(pool.catalog()).monitor("pve1", at("127.0.0.5"));
            pool.catalog().namespace(NsmStore.NAMESPACE).put("host/broken", new byte[] {9, 9, 9});
        }
        try (Pool pool = reopen()) {
            assertEquals(Set.of("pve1"), StatusMonitor.open(pool.catalog()).hostsToReclaim());
        }
    }

    @Test
    void statesFollowTheOddWhileUpRule() {
        assertEquals(1, NsmStore.nextUpState(0));
        assertEquals(3, NsmStore.nextUpState(1));
        assertEquals(3, NsmStore.nextUpState(2));
        assertEquals(1, NsmStore.nextUpState(Integer.MAX_VALUE));
    }
}
