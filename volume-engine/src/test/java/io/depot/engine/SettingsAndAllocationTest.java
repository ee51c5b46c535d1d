package io.depot.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The two services the protocol layers need beyond I/O: pool-held settings and allocation status. */
class SettingsAndAllocationTest extends PoolFixture {

    private static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    @Test
    void settingsSurviveReopenAndListByPrefix() {
        Settings s = pool().settings();
        s.put("iscsi/target/a", utf8("1"));
        s.put("iscsi/target/b", utf8("2"));
        s.put("iscsi/targetx", utf8("3"));
        s.put("nfs/export/x", utf8("4"));
        Map<String, byte[]> changes = new LinkedHashMap<>();
        changes.put("iscsi/target/b", null);
        changes.put("iscsi/target/c", utf8("5"));
        s.apply(changes);

        Settings after = reopen().settings();
        assertEquals(List.of("iscsi/target/a", "iscsi/target/c"), List.copyOf(after.list("iscsi/target/").keySet()));
        assertArrayEquals(utf8("5"), after.get("iscsi/target/c"));
        assertNull(after.get("iscsi/target/b"));
        after.delete("nfs/export/x");
        assertEquals(Map.of(), after.list("nfs/"));
        assertEquals(List.of(), pool.verify());
    }

    @Test
    void unsyncedChangesAreVisibleAtOnceAndKeptOnceSynced() {
        Settings s = pool().settings();
        Map<String, byte[]> first = new LinkedHashMap<>();
        first.put("nfs/a", utf8("1"));
        first.put("nfs/b", utf8("2"));
        s.applyUnsynced(first);
        assertArrayEquals(utf8("1"), s.get("nfs/a"));
        Map<String, byte[]> second = new LinkedHashMap<>();
        second.put("nfs/a", null);
        second.put("nfs/c", utf8("3"));
        s.applyUnsynced(second);
        assertEquals(List.of("nfs/b", "nfs/c"), List.copyOf(s.list("nfs/").keySet()));
        s.sync();

        Settings after = reopen().settings();
        assertEquals(List.of("nfs/b", "nfs/c"), List.copyOf(after.list("nfs/").keySet()));
        assertArrayEquals(utf8("3"), after.get("nfs/c"));
    }

    @Test
    void aNonWaitingApplyOfAnUnthrottledStoreAppliesAndIsKeptOnceSynced() {
        Settings s = pool().settings();
        Map<String, byte[]> change = new LinkedHashMap<>();
        change.put("nfs/x", utf8("1"));
        change.put("nfs/y", utf8("2"));
        assertEquals(true, s.tryApplyUnsynced(change));
        assertArrayEquals(utf8("2"), s.get("nfs/y"));
        Map<String, byte[]> removal = new LinkedHashMap<>();
        removal.put("nfs/x", null);
        assertEquals(true, s.tryApplyUnsynced(removal));
        assertEquals(true, s.tryApplyUnsynced(Map.of())); // nothing to apply: nothing to wait for
        assertArrayEquals(utf8("2"), s.getCached("nfs/y").value()); // in the memtable: known without I/O
        assertNull(s.getCached("nfs/x").value()); // deleted in the memtable: known absent
        s.sync();

        Settings after = reopen().settings();
        assertEquals(List.of("nfs/y"), List.copyOf(after.list("nfs/").keySet()));
    }

    @Test
    void settingsListInPagesAfterAGivenName() {
        Settings s = pool().settings();
        for (int i = 0; i < 25; i++) {
            s.put(String.format("nfs/c/%04d", i), utf8("v" + i));
        }
        s.put("nfs/d", utf8("outside"));
        s.put("nfs/b", utf8("before"));
        List<String> seen = new java.util.ArrayList<>();
        String after = null;
        while (true) {
            Map<String, byte[]> page = s.list("nfs/c/", after, 10);
            if (page.isEmpty()) {
                break;
            }
            seen.addAll(page.keySet());
            after = List.copyOf(page.keySet()).get(page.size() - 1);
        }
        assertEquals(25, seen.size());
        assertEquals("nfs/c/0000", seen.get(0));
        assertEquals("nfs/c/0024", seen.get(24));
        assertEquals(List.of("nfs/c/0005"), List.copyOf(s.list("nfs/c/", "nfs/c/0004", 1).keySet()));
        // a startAfter that is no setting, or sorts before the prefix, still starts at the right place
        assertEquals(List.of("nfs/c/0010"), List.copyOf(s.list("nfs/c/", "nfs/c/000z", 1).keySet()));
        assertEquals(List.of("nfs/c/0000"), List.copyOf(s.list("nfs/c/", "a", 1).keySet()));
        assertEquals(Map.of(), s.list("nfs/c/", "nfs/c/0024", 10));
        assertEquals(Map.of(), s.list("nfs/c/", null, 0));
    }

    @Test
    void allocationAtReportsDataAndHoleRunsIncludingCloneOrigin() {
        Volume v = pool().createVolume("v", 64 * MiB);
        int cs = pool.clusterSize();
        write(v, 2L * cs, 1, 3 * cs);   // clusters 2..4 hold data
        assertEquals(new Extent(0, 2L * cs, false), v.allocationAt(0, 64 * MiB));
        assertEquals(new Extent(2L * cs + 512, 3L * cs - 512, true), v.allocationAt(2L * cs + 512, 64 * MiB));
        assertEquals(new Extent(2L * cs, cs, true), v.allocationAt(2L * cs, cs));
        assertEquals(new Extent(5L * cs, 64 * MiB - 5L * cs, false), v.allocationAt(5L * cs, Long.MAX_VALUE / 2));

        Volume clone = v.createSnapshot("s").linkedClone("c");
        clone.unmap(3L * cs, cs);
        assertEquals(new Extent(2L * cs, cs, true), clone.allocationAt(2L * cs, 64 * MiB));
        assertEquals(new Extent(3L * cs, cs, false), clone.allocationAt(3L * cs, 64 * MiB));
        assertEquals(new Extent(4L * cs, cs, true), clone.allocationAt(4L * cs, 64 * MiB));

        assertThrows(InvalidIoException.class, () -> v.allocationAt(64 * MiB, 512));
        assertThrows(InvalidIoException.class, () -> v.allocationAt(100, 512));
    }
}
