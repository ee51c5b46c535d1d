package io.depot.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * {@link Volume#plan} and {@link Snapshot#plan}: the bytes a plan's segments name (read back from
 * the data file, zeros for holes) are those {@link Volume#read} copies, through holes, unaligned
 * edges, snapshots and clone origins; and the reader pin keeps freed clusters out of reuse until
 * the plan is closed.
 */
class ReadPlanTest extends PoolFixture {
    private static final int CLUSTER = 65536;

    /** What a sender of {@code plan} would put on the wire. */
    private static byte[] send(ReadPlan plan) {
        ByteBuffer out = ByteBuffer.allocate((int) plan.length());
        for (int i = 0; i < plan.segments(); i++) {
            ByteBuffer seg = plan.segment(i);
            assertTrue(seg.isReadOnly() && seg.isDirect(), "a read-only view, not a copy");
            out.put(seg);
        }
        assertFalse(out.hasRemaining(), "segments add up to the plan's length");
        return out.array();
    }

    private static byte[] sendAndClose(ReadPlan plan) {
        try (plan) {
            return send(plan);
        }
    }

    @Test
    void namesTheBytesReadCopiesThroughHolesAndUnalignedEdges() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 7, 20 * CLUSTER);
        write(v, 40 * CLUSTER, 8, CLUSTER); // a hole between: zeros
        ReadPlan whole = v.plan(0, 48 * CLUSTER);
        assertEquals(48L * CLUSTER, whole.length());
        // 20 data clusters, 20 of zeros (1 MiB views of shared zeros at most), 1 of data, 7 of zeros
        assertEquals(5, whole.segments(), "contiguous clusters and holes merge");
        assertTrue(whole.inPageCache(), "just written");
        assertArrayEquals(TestData.read(v, 0, 48 * CLUSTER), sendAndClose(whole));
        // bytes, not sectors: a start and an end inside sectors and clusters
        ReadPlan part = v.plan(CLUSTER - 3, 2 * CLUSTER + 700);
        byte[] expect = java.util.Arrays.copyOfRange(TestData.read(v, CLUSTER - 512, 3 * CLUSTER), 509, 509 + 2 * CLUSTER + 700);
        assertArrayEquals(expect, sendAndClose(part));
        assertTrue(TestData.isZero(sendAndClose(v.plan(500L << 20, CLUSTER))), "never written");
        assertEquals(0, sendAndClose(v.plan(4096, 0)).length);
        assertThrows(InvalidIoException.class, () -> v.plan(GiB - 512, 1024), "past the end");
        assertEquals(0, pool.readerPins().held(), "a failed plan holds no pin");
    }

    /** A plan is a read of the volume for its metrics: bytes and count, as {@link Volume#read} reports. */
    @Test
    void aPlanIsReportedToTheVolumesObserverAsARead() {
        long[] reads = new long[2];
        VolumeIoObserver counting = new VolumeIoObserver() {
            @Override public void read(int bytes, long nanos) { reads[0]++; reads[1] += bytes; }
            @Override public void write(int bytes, long nanos) {}
            @Override public void flush(long nanos) {}
            @Override public void unmap(long bytes, long nanos) {}
        };
        pool().observeIo(new VolumeIoObservers() {
            @Override public VolumeIoObserver open(String volumeName, VolumeOwner owner) { return counting; }
            @Override public void close(VolumeIoObserver observer) {}
        });
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 3, 4 * CLUSTER);
        long before = reads[0];
        long bytesBefore = reads[1];
        sendAndClose(v.plan(100, 3 * CLUSTER));
        ReadPlan tried = v.tryPlan(0, CLUSTER);
        if (tried != null) {
            sendAndClose(tried);
        }
        assertEquals(before + (tried != null ? 2 : 1), reads[0], "one read per plan made");
        assertEquals(bytesBefore + 3 * CLUSTER + (tried != null ? CLUSTER : 0), reads[1], "the plans' lengths");
    }

    @Test
    void seesSnapshotsAndCloneOrigins() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 1, 8 * CLUSTER);
        Snapshot s = v.createSnapshot("s");
        write(v, 2 * CLUSTER, 2, 2 * CLUSTER); // the head moves on; the snapshot keeps seed 1
        Volume c = s.linkedClone("c");
        write(c, CLUSTER, 3, CLUSTER); // one cluster of its own, the rest through the origin
        // planned after every write: the data file is mapped as far as it is long at the first plan
        assertArrayEquals(expected(1, 0, 8 * CLUSTER), sendAndClose(s.plan(0, 8 * CLUSTER)));
        assertArrayEquals(TestData.read(v, 0, 8 * CLUSTER), sendAndClose(v.plan(0, 8 * CLUSTER)));
        byte[] got = sendAndClose(c.plan(0, 8 * CLUSTER));
        assertArrayEquals(TestData.read(c, 0, 8 * CLUSTER), got);
        assertArrayEquals(expected(3, CLUSTER, CLUSTER), java.util.Arrays.copyOfRange(got, CLUSTER, 2 * CLUSTER));
        assertArrayEquals(expected(1, 4 * CLUSTER, CLUSTER), java.util.Arrays.copyOfRange(got, 4 * CLUSTER, 5 * CLUSTER));
        assertNull(c.tryPlan(0, 8 * CLUSTER), "clone read-through may wait: declined like tryRead");
    }

    @Test
    void freedClustersWaitInLimboUntilThePinsTakenBeforeTheFreeAreGone() {
        Volume v = pool().createVolume("v", GiB);
        write(v, 0, 4, 4 * CLUSTER);
        v.flush();
        ReadPlan held = v.plan(0, 4 * CLUSTER);
        long usedBefore = pool.usage().usedBytes();
        v.unmap(0, 4 * CLUSTER);
        v.flush(); // the free is durable: without a pin its clusters would be reusable now
        assertEquals(4, pool.readerPins().limboClusters(), "freed while a plan that names them is held");
        assertEquals(usedBefore, pool.usage().usedBytes(), "not back in the allocator");
        ReadPlan later = v.plan(0, CLUSTER); // taken after the free: does not hold it back
        write(v, 8 * CLUSTER, 5, 4 * CLUSTER); // new data goes elsewhere
        assertArrayEquals(expected(4, 0, 4 * CLUSTER), send(held), "the held plan still sends the old bytes");
        held.close();
        held.close(); // twice is harmless
        assertEquals(0, pool.readerPins().limboClusters(), "limbo drained by the last earlier pin");
        assertEquals(1, pool.readerPins().held());
        later.close();
        assertEquals(0, pool.readerPins().held());
        assertEquals(4L * CLUSTER, pool.usage().usedBytes(), "only the new data is used");
    }
}
