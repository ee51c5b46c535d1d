package io.depot.nfs.nlm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** An owner's own locks: fcntl's upgrade, downgrade, split and merge, and unlock splitting. */
class LockTableOwnLocksTest {
    static final LockOwner A = new LockOwner("hostA", 1);
    static final LockOwner B = new LockOwner("hostB", 1);
    static final long FILE = 3;

    private final LockTable table = new LockTable();

    private void lock(FileLock l) {
        assertInstanceOf(LockResult.Granted.class, table.lock(l, false), l.toString());
    }

    private Set<FileLock> held() {
        return Set.copyOf(table.locksOn(FILE));
    }

    @Test
    void upgradeSharedToExclusiveWhenAlone() {
        lock(FileLock.shared(FILE, A, 0, 100));
        lock(FileLock.exclusive(FILE, A, 0, 100));
        assertEquals(Set.of(FileLock.exclusive(FILE, A, 0, 100)), held());
    }

    @Test
    void upgradeRefusedWhileAnotherOwnerShares() {
        lock(FileLock.shared(FILE, A, 0, 100));
        lock(FileLock.shared(FILE, B, 50, 10));
        LockResult r = table.lock(FileLock.exclusive(FILE, A, 0, 100), false);
        assertEquals(new LockResult.Denied(FileLock.shared(FILE, B, 50, 10)), r);
        assertEquals(Set.of(FileLock.shared(FILE, A, 0, 100), FileLock.shared(FILE, B, 50, 10)), held(), "the refused upgrade keeps the shared lock");
    }

    @Test
    void downgradeMiddleSplitsInThree() {
        lock(FileLock.exclusive(FILE, A, 0, 100));
        lock(FileLock.shared(FILE, A, 40, 20));
        assertEquals(Set.of(FileLock.exclusive(FILE, A, 0, 40), FileLock.shared(FILE, A, 40, 20), FileLock.exclusive(FILE, A, 60, 40)), held());
        // Another owner may now share the downgraded bytes, and only those.
        assertTrue(table.test(FileLock.shared(FILE, B, 40, 20)).isEmpty());
        assertTrue(table.test(FileLock.shared(FILE, B, 39, 2)).isPresent());
    }

    @Test
    void sameTypeOverlappingAndAdjacentMerge() {
        lock(FileLock.shared(FILE, A, 0, 10));
        lock(FileLock.shared(FILE, A, 20, 10));
        lock(FileLock.shared(FILE, A, 10, 10)); // fills the gap exactly: one lock 0..29
        assertEquals(Set.of(FileLock.shared(FILE, A, 0, 30)), held());
        lock(FileLock.shared(FILE, A, 25, 0)); // overlaps and runs to the end
        assertEquals(Set.of(FileLock.shared(FILE, A, 0, 0)), held());
    }

    @Test
    void differentTypesDoNotMerge() {
        lock(FileLock.shared(FILE, A, 0, 10));
        lock(FileLock.exclusive(FILE, A, 10, 10));
        assertEquals(Set.of(FileLock.shared(FILE, A, 0, 10), FileLock.exclusive(FILE, A, 10, 10)), held());
    }

    @Test
    void differentOwnersDoNotMerge() {
        lock(FileLock.shared(FILE, A, 0, 10));
        lock(FileLock.shared(FILE, B, 5, 10));
        assertEquals(2, held().size());
    }

    @Test
    void exclusiveOverSeveralOwnPiecesReplacesThem() {
        lock(FileLock.shared(FILE, A, 0, 10));
        lock(FileLock.exclusive(FILE, A, 20, 10));
        lock(FileLock.shared(FILE, A, 40, 10));
        lock(FileLock.exclusive(FILE, A, 5, 40));
        assertEquals(Set.of(FileLock.shared(FILE, A, 0, 5), FileLock.exclusive(FILE, A, 5, 40), FileLock.shared(FILE, A, 45, 5)), held());
    }

    @Test
    void unlockMiddleSplits() {
        lock(FileLock.exclusive(FILE, A, 0, 0));
        assertTrue(table.unlock(FILE, A, new LockRange(100, 50)));
        List<FileLock> sorted = table.locksOn(FILE).stream().sorted(Comparator.comparing(l -> l.range().offset())).toList();
        assertEquals(List.of(FileLock.exclusive(FILE, A, 0, 100), FileLock.exclusive(FILE, A, 150, 0)), sorted);
        assertTrue(table.test(FileLock.exclusive(FILE, B, 100, 50)).isEmpty());
        assertTrue(table.test(FileLock.exclusive(FILE, B, 149, 2)).isPresent());
    }

    @Test
    void unlockEdgesAndToTheEnd() {
        lock(FileLock.shared(FILE, A, 10, 20));
        table.unlock(FILE, A, new LockRange(0, 15)); // trims the front
        assertEquals(Set.of(FileLock.shared(FILE, A, 15, 15)), held());
        table.unlock(FILE, A, new LockRange(25, 0)); // trims the back, to the end
        assertEquals(Set.of(FileLock.shared(FILE, A, 15, 10)), held());
        table.unlock(FILE, A, LockRange.whole());
        assertEquals(Set.of(), held());
        assertEquals(List.of(), table.locks());
    }

    @Test
    void unlockTouchesOnlyTheOwner() {
        lock(FileLock.shared(FILE, A, 0, 10));
        lock(FileLock.shared(FILE, B, 0, 10));
        assertFalse(table.unlock(FILE, A, new LockRange(20, 5)), "nothing held there");
        assertFalse(table.unlock(FILE + 1, A, LockRange.whole()), "no such file");
        assertTrue(table.unlock(FILE, A, LockRange.whole()));
        assertEquals(Set.of(FileLock.shared(FILE, B, 0, 10)), held());
    }

    @Test
    void unsignedSplitNearTheTop() {
        long high = 0x8000_0000_0000_0000L;
        lock(FileLock.exclusive(FILE, A, high, 0));
        table.unlock(FILE, A, new LockRange(high + 1, 1));
        assertEquals(Set.of(FileLock.exclusive(FILE, A, high, 1), FileLock.exclusive(FILE, A, high + 2, 0)), held());
        lock(FileLock.exclusive(FILE, A, high + 1, 1)); // fills the hole: merged back
        assertEquals(Set.of(FileLock.exclusive(FILE, A, high, 0)), held());
    }
}
