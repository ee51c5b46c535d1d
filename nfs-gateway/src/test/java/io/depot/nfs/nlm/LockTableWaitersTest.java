package io.depot.nfs.nlm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Blocked requests granted in order with the callback, cancel, a client reboot, and QEMU's image locks. */
class LockTableWaitersTest {
    static final LockOwner A = new LockOwner("hostA", 1);
    static final LockOwner B = new LockOwner("hostB", 7);
    static final LockOwner C = new LockOwner("hostC", 9);
    static final long FILE = 11;

    private final List<Pending> granted = new CopyOnWriteArrayList<>();
    private final LockTable table = new LockTable(granted::add);

    private Pending blocked(FileLock l) {
        return assertInstanceOf(LockResult.Blocked.class, table.lock(l, true)).pending();
    }

    @Test
    void blockingWithoutConflictIsGrantedAtOnce() {
        assertEquals(new LockResult.Granted(FileLock.exclusive(FILE, A, 0, 1)), table.lock(FileLock.exclusive(FILE, A, 0, 1), true));
        assertEquals(List.of(), granted, "no callback for an immediate grant");
    }

    @Test
    void waitersGrantedFifoOnReleaseWithCallback() {
        table.lock(FileLock.exclusive(FILE, A, 0, 100), false);
        Pending b = blocked(FileLock.shared(FILE, B, 0, 10));
        Pending c = blocked(FileLock.shared(FILE, C, 5, 10));
        assertTrue(b.id() < c.id());
        assertEquals(List.of(b, c), table.pending());
        assertEquals(List.of(), granted);

        table.unlock(FILE, A, LockRange.whole());
        assertEquals(List.of(b, c), granted, "both shared waiters fit, granted in arrival order");
        assertEquals(Set.of(b.request(), c.request()), Set.copyOf(table.locks()));
        assertEquals(List.of(), table.pending());
    }

    @Test
    void onlyWaitersThatNoLongerConflictAreGranted() {
        table.lock(FileLock.exclusive(FILE, A, 0, 100), false);
        Pending b = blocked(FileLock.exclusive(FILE, B, 0, 10));
        Pending c = blocked(FileLock.exclusive(FILE, C, 5, 10)); // conflicts with b once b holds
        Pending late = blocked(FileLock.exclusive(FILE, C, 50, 10));

        table.unlock(FILE, A, new LockRange(0, 20));
        assertEquals(List.of(b), granted, "c still conflicts with b; late still with A");
        assertEquals(List.of(c, late), table.pending());

        table.unlock(FILE, B, LockRange.whole());
        assertEquals(List.of(b, c), granted);
        table.releaseAll("hostA");
        assertEquals(List.of(b, c, late), granted);
    }

    @Test
    void downgradeGrantsSharedWaiters() {
        table.lock(FileLock.exclusive(FILE, A, 0, 10), false);
        Pending b = blocked(FileLock.shared(FILE, B, 0, 10));
        table.lock(FileLock.shared(FILE, A, 0, 10), false);
        assertEquals(List.of(b), granted);
    }

    @Test
    void retransmittedBlockingRequestIsQueuedOnce() {
        table.lock(FileLock.exclusive(FILE, A, 0, 1), false);
        Pending first = blocked(FileLock.exclusive(FILE, B, 0, 1));
        assertEquals(first, blocked(FileLock.exclusive(FILE, B, 0, 1)));
        assertEquals(1, table.pending().size());
    }

    @Test
    void cancelDropsTheWaiter() {
        table.lock(FileLock.exclusive(FILE, A, 0, 1), false);
        Pending b = blocked(FileLock.exclusive(FILE, B, 0, 1));
        Pending c = blocked(FileLock.exclusive(FILE, C, 0, 1));
        assertTrue(table.cancel(FileLock.exclusive(FILE, B, 0, 1)), "NLM_CANCEL by the lock's arguments");
        assertFalse(table.cancel(b), "already gone");
        assertFalse(table.cancel(FileLock.exclusive(FILE, B, 0, 2)), "no waiter with that range");
        table.unlock(FILE, A, LockRange.whole());
        assertEquals(List.of(c), granted);
        assertFalse(table.cancel(c), "granted, no longer waiting");
        assertEquals(List.of(c.request()), table.locks());
    }

    @Test
    void releaseAllDropsAHostsLocksAndWaitersEverywhere() {
        LockOwner a2 = new LockOwner("hostA", 2);
        table.lock(FileLock.exclusive(FILE, A, 0, 10), false);
        table.lock(FileLock.shared(FILE + 1, a2, 0, 0), false);
        table.lock(FileLock.shared(FILE + 1, B, 0, 0), false);
        table.lock(FileLock.exclusive(FILE + 2, B, 0, 0), false);
        blocked(FileLock.exclusive(FILE + 2, a2, 0, 1)); // hostA's waiter: dropped, never granted
        Pending c = blocked(FileLock.exclusive(FILE, C, 0, 10));
        assertEquals(2, table.locksOf("hostA").size());

        assertEquals(2, table.releaseAll("hostA"));
        assertEquals(List.of(), table.locksOf("hostA"));
        assertEquals(List.of(c), granted);
        assertEquals(List.of(), table.pending());
        table.unlock(FILE + 2, B, LockRange.whole());
        assertEquals(List.of(c), granted, "the rebooted host's waiter is not granted later");
        assertEquals(0, table.releaseAll("hostA"));
    }

    @Test
    void callbackRunsOutsideTheLock() {
        List<Boolean> otherThreadGotIn = new CopyOnWriteArrayList<>();
        LockTable[] self = new LockTable[1];
        // The callback waits for another thread to use the table: that would hang (and time out)
        // if the callback ran while the releasing thread still held the table's monitor.
        self[0] = new LockTable(p -> {
            Thread other = new Thread(() -> self[0].lock(FileLock.exclusive(99, C, 0, 1), false));
            other.start();
            otherThreadGotIn.add(joined(other));
        });
        self[0].lock(FileLock.exclusive(FILE, A, 0, 1), false);
        self[0].lock(FileLock.exclusive(FILE, B, 0, 1), true);
        self[0].unlock(FILE, A, LockRange.whole());
        assertEquals(List.of(true), otherThreadGotIn);
        assertEquals(List.of(FileLock.exclusive(99, C, 0, 1)), self[0].locksOn(99));
    }

    @Test
    void failingCallbackDoesNotStopTheOthers() {
        List<Pending> seen = new CopyOnWriteArrayList<>();
        LockTable t = new LockTable(p -> {
            seen.add(p);
            throw new IllegalStateException("client gone");
        });
        t.lock(FileLock.exclusive(FILE, A, 0, 1), false);
        t.lock(FileLock.shared(FILE, B, 0, 1), true);
        t.lock(FileLock.shared(FILE, C, 0, 1), true);
        assertThrows(IllegalStateException.class, () -> t.unlock(FILE, A, LockRange.whole()));
        assertEquals(2, seen.size());
        assertEquals(2, t.locks().size(), "granted locks stay held; the protocol layer unlocks a refused grant");
    }

    /**
     * QEMU's image locking (block/file-posix.c): byte 100 + bit for each permission it uses,
     * byte 200 + bit for each it will not share, all as shared locks; before taking a
     * permission it checks that nobody holds the "not shared" byte, by asking for a write lock
     * there. Bit 0 is consistent read, bit 1 is write.
     */
    @Test
    void qemuImageLockPattern() {
        LockOwner first = new LockOwner("hostA", 4242, "qemu-a".getBytes());
        LockOwner second = new LockOwner("hostB", 4343, "qemu-b".getBytes());
        long image = 500;
        // The first QEMU opens read-write: uses read (100) and write (101), shares nothing of write (201).
        for (long b : new long[] {100, 101, 201}) {
            assertInstanceOf(LockResult.Granted.class, table.lock(FileLock.shared(image, first, b, 1), false));
        }
        // The second, also wanting write, may take its own use bytes (shared/shared) ...
        assertInstanceOf(LockResult.Granted.class, table.lock(FileLock.shared(image, second, 100, 1), false));
        // ... but its check of byte 201 with a write lock is refused, naming the first QEMU.
        assertEquals(new LockResult.Denied(FileLock.shared(image, first, 201, 1)), table.lock(FileLock.exclusive(image, second, 201, 1), false));
        assertEquals(FileLock.shared(image, first, 201, 1), table.test(FileLock.exclusive(image, second, 201, 1)).orElseThrow());
        // Nor may it exclude the first's writing (a write lock on 101, "write in use").
        assertInstanceOf(LockResult.Denied.class, table.lock(FileLock.exclusive(image, second, 101, 1), false));

        // The first QEMU exits (or its host is declared rebooted): the second gets the image.
        table.unlock(image, first, LockRange.whole());
        assertInstanceOf(LockResult.Granted.class, table.lock(FileLock.exclusive(image, second, 201, 1), false));
        assertEquals(2, table.locksOf("hostB").size());
    }

    private static boolean joined(Thread t) {
        try {
            t.join(10_000);
            return !t.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
