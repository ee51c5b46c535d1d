package io.depot.engine.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.OutOfSpaceException;
import org.junit.jupiter.api.Test;
import org.roaringbitmap.RoaringBitmap;

/** The order in which free space is handed out; what is clean is never a matter of preference. */
class ClusterAllocatorTest {

    @Test
    void wholeWritesTakeAllocatedDirtySpaceThenCleanThenHoley() {
        ClusterAllocator a = new ClusterAllocator(16, 0);
        for (int i = 0; i < 4; i++) {
            assertTrue(a.allocate(false).clean(), "partial writes start on clean space");   // 0-3: holey
        }
        for (int i = 4; i < 8; i++) {
            a.allocate(true);                                                               // 4-7: written whole
        }
        a.release(RoaringBitmap.bitmapOf(0, 1, 2, 3, 4, 5, 6, 7));
        ClusterAllocator.Allocation first = a.allocate(true);
        assertEquals(4, first.phys(), "fully allocated dirty space first");
        assertFalse(first.clean());
        ClusterAllocator.Run run = a.reserveRun(8, true);
        assertEquals(new ClusterAllocator.Run(5, 3, false, false), run, "then the rest of that dirty run, no further");
        ClusterAllocator.Run fresh = a.reserveRun(8, true);
        assertEquals(new ClusterAllocator.Run(8, 8, true, false), fresh, "then clean space from the frontier");
        ClusterAllocator.Allocation holey = a.allocate(true);
        assertEquals(0, holey.phys(), "holey dirty space last");
        assertFalse(holey.clean());
        a.returnUnused(fresh, 10);   // 10-15 never written: clean again
        assertEquals(new ClusterAllocator.Allocation(10, true), a.allocate(false), "clean space returned unused is clean");
        assertEquals(new ClusterAllocator.Allocation(11, true), a.allocate(true),
                "with no allocated dirty space left, whole writes take clean space before holey");
    }

    @Test
    void partialWritesTakeCleanThenHoleyThenAllocatedDirtyAndNeverCallDirtyClean() {
        ClusterAllocator a = new ClusterAllocator(4, 0);
        a.allocate(false);   // 0 holey
        a.allocate(true);    // 1
        a.allocate(true);    // 2
        a.allocate(false);   // 3 holey
        assertThrows(OutOfSpaceException.class, () -> a.allocate(false));
        assertNull(a.reserveRun(2, false));
        a.release(RoaringBitmap.bitmapOf(0, 1, 2, 3));
        ClusterAllocator.Allocation p = a.allocate(false);
        assertEquals(0, p.phys(), "holey space before allocated space");
        assertFalse(p.clean(), "freed space is dirty, however it is preferred");
        assertEquals(new ClusterAllocator.Allocation(3, false), a.allocate(false), "all holey space first");
        assertEquals(new ClusterAllocator.Allocation(1, false), a.allocate(false), "then allocated dirty space");
        assertEquals(new ClusterAllocator.Allocation(2, false), a.allocate(true));
        assertThrows(OutOfSpaceException.class, () -> a.allocate(true));
    }
}
