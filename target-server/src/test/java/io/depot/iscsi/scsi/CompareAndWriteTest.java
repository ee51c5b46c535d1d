package io.depot.iscsi.scsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class CompareAndWriteTest extends ScsiFixture {

    static byte[] caw(long lba, int blocks, int flags) {
        byte[] c = new byte[16];
        c[0] = (byte) 0x89;
        c[1] = (byte) flags;
        Fields.put64(c, 2, lba);
        c[13] = (byte) blocks;
        return c;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void matchingDataIsReplacedAndAMismatchReportsItsOffset() {
        byte[] old = pattern(1, 1);
        byte[] replacement = pattern(1, 2);
        write16(77, old);
        assertGood(exec(caw(77, 1, 0x08), concat(old, replacement)));
        assertArrayEquals(replacement, read16(77, 1));

        byte[] stale = old.clone();
        stale[200] ^= 1;
        Reply r = exec(caw(77, 1, 0), concat(stale, pattern(1, 3)));
        assertCheck(r, SenseReason.MISCOMPARE_DURING_VERIFY);
        assertEquals(0xf0, r.sense()[0] & 0xff, "VALID, current, fixed format");
        assertEquals(0, Fields.u32(r.sense(), 3), "replacement != old here: first byte already differs");
        Reply r2 = exec(caw(77, 1, 0), concat(withByteChanged(replacement, 300), pattern(1, 3)));
        assertCheck(r2, SenseReason.MISCOMPARE_DURING_VERIFY);
        assertEquals(300, Fields.u32(r2.sense(), 3));
        assertArrayEquals(replacement, read16(77, 1), "nothing written on a miscompare");
        // never-written blocks compare as zeros
        assertGood(exec(caw(5000, 1, 0), concat(new byte[512], replacement)));
        assertArrayEquals(replacement, read16(5000, 1));
    }

    private static byte[] withByteChanged(byte[] b, int at) {
        byte[] c = b.clone();
        c[at] ^= (byte) 0xff;
        return c;
    }

    @Test
    void badLengthsAndRangesAreRefused() {
        assertGood(exec(caw(0, 0, 0), null));                                            // zero blocks: no-op
        assertInvalidCdbField(exec(caw(0, 1, 0), new byte[512]), 13, -1);                // data-out too small
        assertInvalidCdbField(exec(caw(0, 1, 0), new byte[2048]), 13, -1);               // too large
        assertInvalidCdbField(exec(caw(0, 1, 0), null), 13, -1);
        assertCheck(exec(caw(BLOCKS, 1, 0), new byte[1024]), SenseReason.LBA_OUT_OF_RANGE);
        assertGood(exec(caw(BLOCKS - 1, 1, 0), new byte[1024]));
    }

    /**
     * The initiator's expected transfer length must be exactly 2N blocks, even when the fabric
     * gathered only the 2N blocks the CDB asked for: libiscsi CompareAndWrite.InvalidDataOutSize
     * (4 blocks sent, N=1) and CompareAndWrite.Simple (256 blocks sent as N=0, the field being one
     * byte) both expect ILLEGAL REQUEST, and nothing may be compared or written.
     */
    @Test
    void expectedLengthOtherThanTwiceTheBlocksIsRefused() {
        byte[] old = pattern(1, 1);
        write16(0, old);
        byte[] matching = concat(old, pattern(1, 2));
        assertInvalidCdbField(exec(0, NEXUS, caw(0, 1, 0), matching, 2048), 13, -1);
        assertInvalidCdbField(exec(0, NEXUS, caw(0, 1, 0), matching, 1536), 13, -1);
        assertInvalidCdbField(exec(0, NEXUS, caw(0, 0, 0), null, 256 * 1024), 13, -1);
        assertArrayEquals(old, read16(0, 1), "nothing written");
        assertGood(exec(0, NEXUS, caw(0, 0, 0), null, 0));
    }

    /** Up to MAXIMUM COMPARE AND WRITE LENGTH (255) blocks, across clusters (128 blocks each). */
    @Test
    void multiBlockCompareAndWriteSpansClustersAndReportsTheMiscompareOffset() {
        int max = BlockLimits.MAX_COMPARE_AND_WRITE_BLOCKS;
        assertEquals(255, max);
        byte[] old = pattern(max, 7);
        byte[] replacement = pattern(max, 8);
        write16(100, old);   // blocks 100..354: three clusters
        assertGood(exec(caw(100, max, 0), concat(old, replacement)));
        assertArrayEquals(replacement, read16(100, max));

        byte[] stale = replacement.clone();
        int at = 200 * 512 + 17;   // in the second cluster
        stale[at] ^= 1;
        Reply r = exec(caw(100, max, 0), concat(stale, old));
        assertCheck(r, SenseReason.MISCOMPARE_DURING_VERIFY);
        assertEquals(at, Fields.u32(r.sense(), 3), "INFORMATION: offset of the first differing byte");
        assertArrayEquals(replacement, read16(100, max), "nothing written on a miscompare");

        assertInvalidCdbField(exec(caw(0, 256 & 0xff, 0), new byte[2 * 256 * 512]), 13, -1);
        // LBA OUT OF RANGE comes before the length checks, as for every block command
        assertCheck(exec(caw(BLOCKS - 2, 3, 0), new byte[3 * 1024]), SenseReason.LBA_OUT_OF_RANGE);
        assertGood(exec(caw(BLOCKS - 3, 3, 0), new byte[3 * 1024]));
    }

    /**
     * Two threads (two nexuses) increment a counter kept in one block, each by COMPARE AND WRITE
     * of what it last read: every success must be counted exactly once.
     */
    @Test
    void twoInitiatorsHammeringOneBlockLoseNoUpdate() throws Exception {
        write16(9, counterBlock(0));
        int perThread = 300;
        ItNexus[] nexuses = {NEXUS, OTHER};
        CyclicBarrier start = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<int[]>> results = new ArrayList<>();
            for (ItNexus nexus : nexuses) {
                results.add(pool.submit(() -> {
                    start.await();
                    int successes = 0;
                    int miscompares = 0;
                    while (successes < perThread) {
                        Reply read = exec(0, nexus, rw16(0x88, 0, 9, 1), null);
                        assertGood(read);
                        long value = ByteBuffer.wrap(read.data()).getLong(0);
                        Reply r = exec(0, nexus, caw(9, 1, 0), concat(read.data(), counterBlock(value + 1)));
                        if (r.good()) {
                            successes++;
                        } else {
                            assertCheck(r, SenseReason.MISCOMPARE_DURING_VERIFY);
                            miscompares++;
                        }
                    }
                    return new int[] {successes, miscompares};
                }));
            }
            int total = 0;
            for (Future<int[]> f : results) {
                total += f.get()[0];
            }
            assertEquals(2 * perThread, total);
            assertEquals(2L * perThread, ByteBuffer.wrap(read16(9, 1)).getLong(0));
        } finally {
            pool.shutdownNow();
        }
    }

    private static byte[] counterBlock(long value) {
        byte[] b = new byte[512];
        ByteBuffer.wrap(b).putLong(0, value);
        for (int i = 8; i < 512; i++) {
            b[i] = (byte) (value + i);   // the whole block changes with the value
        }
        return b;
    }
}
