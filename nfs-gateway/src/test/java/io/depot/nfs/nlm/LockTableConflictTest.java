package io.depot.nfs.nlm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The conflict matrix: types, owners, files, ranges, to-the-end ranges and unsigned 64-bit ends. */
class LockTableConflictTest {
    static final LockOwner A = new LockOwner("hostA", 1, new byte[] {1});
    static final LockOwner B = new LockOwner("hostB", 1, new byte[] {1});
    static final long FILE = 7;
    static final long HIGH = 0xFFFF_FFFF_FFFF_FF00L; // negative as a signed long

    private final LockTable table = new LockTable();

    private boolean grants(FileLock first, FileLock second) {
        assertInstanceOf(LockResult.Granted.class, table.lock(first, false));
        Optional<FileLock> tested = table.test(second);
        LockResult r = table.lock(second, false);
        assertEquals(tested.isEmpty(), r instanceof LockResult.Granted, "test and lock agree");
        if (r instanceof LockResult.Denied d) {
            assertEquals(first, d.holder(), "the holder is the lock in the way");
        }
        return r instanceof LockResult.Granted;
    }

    @Test
    void sharedAndSharedNeverConflict() {
        assertTrue(grants(FileLock.shared(FILE, A, 0, 10), FileLock.shared(FILE, B, 5, 10)));
    }

    @Test
    void sharedAndExclusiveConflictBothWays() {
        assertFalse(grants(FileLock.shared(FILE, A, 0, 10), FileLock.exclusive(FILE, B, 9, 1)));
        LockTable other = new LockTable();
        other.lock(FileLock.exclusive(FILE, A, 0, 10), false);
        assertEquals(Optional.of(FileLock.exclusive(FILE, A, 0, 10)), other.test(FileLock.shared(FILE, B, 0, 1)));
    }

    @Test
    void exclusiveAndExclusiveConflict() {
        assertFalse(grants(FileLock.exclusive(FILE, A, 100, 1), FileLock.exclusive(FILE, B, 100, 1)));
    }

    @Test
    void disjointAndAdjacentRangesDoNotConflict() {
        assertTrue(grants(FileLock.exclusive(FILE, A, 0, 10), FileLock.exclusive(FILE, B, 10, 10)));
        assertTrue(table.lock(FileLock.exclusive(FILE, B, 20, 5), false) instanceof LockResult.Granted);
    }

    @Test
    void differentFilesDoNotConflict() {
        assertTrue(grants(FileLock.exclusive(FILE, A, 0, 0), FileLock.exclusive(FILE + 1, B, 0, 0)));
    }

    @Test
    void sameOwnerNeverConflictsWithItself() {
        assertTrue(grants(FileLock.exclusive(FILE, A, 0, 10), FileLock.exclusive(FILE, A, 5, 10)));
    }

    @Test
    void ownerIsHostSvidAndHandle() {
        LockOwner otherPid = new LockOwner("hostA", 2, new byte[] {1});
        LockOwner otherHandle = new LockOwner("hostA", 1, new byte[] {2});
        assertEquals(A, new LockOwner("hostA", 1, new byte[] {1}));
        assertFalse(grants(FileLock.exclusive(FILE, A, 0, 1), FileLock.exclusive(FILE, otherPid, 0, 1)));
        assertTrue(table.test(FileLock.exclusive(FILE, otherHandle, 0, 1)).isPresent());
    }

    @Test
    void toEndOfFileRangeCoversEveryLaterByte() {
        assertFalse(grants(FileLock.exclusive(FILE, A, 1000, 0), FileLock.shared(FILE, B, HIGH, 1)));
        assertTrue(table.test(FileLock.shared(FILE, B, 999, 1)).isEmpty(), "the byte before is free");
        assertTrue(table.test(FileLock.shared(FILE, B, -1L, 1)).isPresent(), "the very last byte 2^64-1 is covered");
    }

    @Test
    void rangesPastSignedMaxAreUnsigned() {
        // Both above 2^63: as signed longs these would be negative and compare below 0.
        assertFalse(grants(FileLock.exclusive(FILE, A, HIGH, 0x10), FileLock.exclusive(FILE, B, HIGH + 0xF, 1)));
        assertTrue(table.test(FileLock.exclusive(FILE, B, HIGH + 0x10, 1)).isEmpty());
        assertTrue(table.test(FileLock.exclusive(FILE, B, 0, 100)).isEmpty(), "low bytes are not under a 'negative' range");
    }

    @Test
    void lengthThatOverflowsRunsToTheEnd() {
        LockRange wrapped = new LockRange(HIGH, 0x200); // HIGH + 0x200 passes 2^64
        assertTrue(wrapped.toEnd());
        assertEquals(new LockRange(HIGH, 0), wrapped);
        assertEquals(new LockRange(HIGH, 0), new LockRange(HIGH, 0x100), "ending exactly at 2^64 is to the end");
        assertFalse(new LockRange(HIGH, 0xFF).toEnd());
        assertFalse(grants(FileLock.exclusive(FILE, A, HIGH, 0x200), FileLock.exclusive(FILE, B, -1L, 1)));
        assertTrue(table.test(FileLock.exclusive(FILE, B, HIGH - 1, 1)).isEmpty());
    }

    @Test
    void maximumUnsignedLengthFromZero() {
        LockRange all = new LockRange(0, -1L); // 2^64 - 1 bytes: every byte but the last
        assertFalse(all.toEnd());
        assertTrue(all.overlaps(new LockRange(HIGH, 1)));
        assertFalse(all.overlaps(new LockRange(-1L, 1)));
        assertTrue(new LockRange(0, 0).contains(all));
    }

    @Test
    void deniedLeavesNoTrace() {
        table.lock(FileLock.exclusive(FILE, A, 0, 10), false);
        table.lock(FileLock.exclusive(FILE, B, 0, 10), false);
        assertEquals(List.of(FileLock.exclusive(FILE, A, 0, 10)), table.locks());
        assertEquals(List.of(), table.pending());
        assertEquals(List.of(), table.locksOf("hostB"));
    }
}
