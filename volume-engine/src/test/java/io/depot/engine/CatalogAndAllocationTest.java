package io.depot.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The two services the protocol layers need beyond I/O: the pool's catalog and allocation status. */
class CatalogAndAllocationTest extends PoolFixture {

    private static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    @Test
    void catalogRecordsSurviveReopenAndListByPrefix() {
        CatalogNamespace<byte[]> iscsi = pool().catalog().namespace("iscsi");
        iscsi.put("target/a", utf8("1"));
        iscsi.put("target/b", utf8("2"));
        iscsi.put("targetx", utf8("3"));
        pool.catalog().namespace("nfs").put("export/x", utf8("4"));
        Map<String, byte[]> changes = new LinkedHashMap<>();
        changes.put("target/b", null);
        changes.put("target/c", utf8("5"));
        iscsi.apply(changes);

        CatalogNamespace<byte[]> after = reopen().catalog().namespace("iscsi");
        assertEquals(List.of("target/a", "target/c"), List.copyOf(after.list("target/").keySet()));
        assertArrayEquals(utf8("5"), after.get("target/c"));
        assertNull(after.get("target/b"));
        CatalogNamespace<byte[]> nfs = pool.catalog().namespace("nfs");
        assertEquals(List.of("export/x"), List.copyOf(nfs.list("").keySet()), "namespaces do not see each other");
        nfs.delete("export/x");
        assertEquals(Map.of(), nfs.list(""));
        assertEquals(List.of(), pool.verify());
    }

    @Test
    void stagedChangesAreVisibleAtOnceAndKeptOnceTheirTicketIsDurable() {
        Catalog catalog = pool().catalog();
        CatalogNamespace<byte[]> s = catalog.namespace("nfs");
        Map<String, byte[]> first = new LinkedHashMap<>();
        first.put("a", utf8("1"));
        first.put("b", utf8("2"));
        s.stage(first);
        assertArrayEquals(utf8("1"), s.get("a"));
        Map<String, byte[]> second = new LinkedHashMap<>();
        second.put("a", null);
        second.put("c", utf8("3"));
        long ticket = s.stage(second);
        assertEquals(List.of("b", "c"), List.copyOf(s.list("").keySet()));
        catalog.await(ticket);

        CatalogNamespace<byte[]> after = reopen().catalog().namespace("nfs");
        assertEquals(List.of("b", "c"), List.copyOf(after.list("").keySet()));
        assertArrayEquals(utf8("3"), after.get("c"));
    }

    @Test
    void aNonWaitingStageOfAnUnthrottledStoreAppliesAndIsKeptOnceDurable() {
        Catalog catalog = pool().catalog();
        CatalogNamespace<byte[]> s = catalog.namespace("nfs");
        Map<String, byte[]> change = new LinkedHashMap<>();
        change.put("x", utf8("1"));
        change.put("y", utf8("2"));
        assertNotEquals(Catalog.REFUSED, s.tryStage(change));
        assertArrayEquals(utf8("2"), s.get("y"));
        Map<String, byte[]> removal = new LinkedHashMap<>();
        removal.put("x", null);
        long ticket = s.tryStage(removal);
        assertNotEquals(Catalog.REFUSED, ticket);
        assertNotEquals(Catalog.REFUSED, s.tryStage(Map.of())); // nothing to apply: nothing to wait for
        assertArrayEquals(utf8("2"), s.getCached("y").value()); // in the memtable: known without I/O
        assertNull(s.getCached("x").value()); // deleted in the memtable: known absent
        catalog.await(ticket);

        CatalogNamespace<byte[]> after = reopen().catalog().namespace("nfs");
        assertEquals(List.of("y"), List.copyOf(after.list("").keySet()));
    }

    @Test
    void catalogRecordsListInPagesAfterAGivenKey() {
        CatalogNamespace<byte[]> s = pool().catalog().namespace("nfs");
        for (int i = 0; i < 25; i++) {
            s.put(String.format("c/%04d", i), utf8("v" + i));
        }
        s.put("d", utf8("outside"));
        s.put("b", utf8("before"));
        List<String> seen = new java.util.ArrayList<>();
        String after = null;
        while (true) {
            Map<String, byte[]> page = s.list("c/", after, 10);
            if (page.isEmpty()) {
                break;
            }
            seen.addAll(page.keySet());
            after = List.copyOf(page.keySet()).get(page.size() - 1);
        }
        assertEquals(25, seen.size());
        assertEquals("c/0000", seen.get(0));
        assertEquals("c/0024", seen.get(24));
        assertEquals(List.of("c/0005"), List.copyOf(s.list("c/", "c/0004", 1).keySet()));
        // a startAfter that is no key, or sorts before the prefix, still starts at the right place
        assertEquals(List.of("c/0010"), List.copyOf(s.list("c/", "c/000z", 1).keySet()));
        assertEquals(List.of("c/0000"), List.copyOf(s.list("c/", "a", 1).keySet()));
        assertEquals(Map.of(), s.list("c/", "c/0024", 10));
        assertEquals(Map.of(), s.list("c/", null, 0));
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
