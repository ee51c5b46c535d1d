package io.depot.iscsi.scsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Snapshot;
import io.depot.iscsi.backstore.EngineBackend;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ReadWriteTest extends ScsiFixture {

    @Test
    void everyReadAndWriteFormRoundTrips() {
        byte[] a = pattern(3, 1);
        assertGood(exec(cdb(0x0a, 0, 0, 10, 3, 0), a));                              // WRITE(6)
        assertArrayEquals(a, exec(cdb(0x08, 0, 0, 10, 3, 0)).data());                 // READ(6)
        byte[] b = pattern(2, 2);
        assertGood(exec(rw10(0x2a, 0x08, 100, 2), b));                               // WRITE(10) FUA
        assertArrayEquals(b, exec(rw10(0x28, 0x18, 100, 2)).data());                  // READ(10) DPO FUA
        byte[] c = pattern(4, 3);
        assertGood(exec(rw12(0xaa, 0, 200, 4), c));
        assertArrayEquals(c, exec(rw12(0xa8, 0, 200, 4)).data());
        byte[] d = pattern(5, 4);
        assertGood(exec(rw16(0x8a, 0, 300, 5), d));
        assertArrayEquals(d, read16(300, 5));
        // and the engine holds what SCSI wrote
        java.nio.ByteBuffer check = java.nio.ByteBuffer.allocate(512 * 5);
        volume.read(300 * 512L, check);
        assertArrayEquals(d, check.array());
    }

    @Test
    void read6ZeroLengthMeans256Blocks() {
        Reply r = exec(cdb(0x08, 0, 0, 0, 0, 0));
        assertGood(r);
        assertEquals(256 * 512, r.data().length);
    }

    @Test
    void lastBlockIsAddressableAndOnePastIsOutOfRange() {
        byte[] last = pattern(1, 9);
        write16(BLOCKS - 1, last);
        assertArrayEquals(last, read16(BLOCKS - 1, 1));
        assertCheck(exec(rw16(0x88, 0, BLOCKS - 1, 2)), SenseReason.LBA_OUT_OF_RANGE);
        assertCheck(exec(rw16(0x8a, 0, BLOCKS, 1), pattern(1, 1)), SenseReason.LBA_OUT_OF_RANGE);
        assertCheck(exec(rw10(0x28, 0, BLOCKS, 0)), SenseReason.LBA_OUT_OF_RANGE);      // zero blocks at the capacity
        assertCheck(exec(rw16(0x88, 0, 0x8000000000000000L, 0)), SenseReason.LBA_OUT_OF_RANGE);
        assertCheck(exec(rw16(0x88, 0, -1L, 1)), SenseReason.LBA_OUT_OF_RANGE);
        assertGood(exec(rw10(0x28, 0, 0, 0)));                                          // zero blocks at 0: nothing
    }

    @Test
    void protectionFieldsAndOverlongTransfersAreInvalidFields() {
        assertInvalidCdbField(exec(rw10(0x28, 0x20, 0, 1)), 1, 5);                      // RDPROTECT=001b
        assertInvalidCdbField(exec(rw16(0x8a, 0x80, 0, 1), pattern(1, 0)), 1, 7);       // WRPROTECT=100b
        assertInvalidCdbField(exec(rw16(0x88, 0, 0, 16385)), 10, -1);                   // > MAXIMUM TRANSFER LENGTH
        assertGood(exec(rw16(0x88, 0, 0, 16384)));
        byte[] naca = rw10(0x28, 0, 0, 1);
        naca[9] = 0x04;
        assertInvalidCdbField(exec(naca), 9, 2);
        assertCheck(exec(cdb(0xc5, 0, 0, 0, 0, 0)), SenseReason.INVALID_OPCODE);
    }

    @Test
    void writeWithLessDataOutThanTheCdbWritesOnlyWholeBlocksReceived() {
        write16(0, pattern(2, 5));
        byte[] one = pattern(1, 6);
        assertGood(exec(rw10(0x2a, 0, 0, 2), one));                                     // 1 block sent of 2
        byte[] back = read16(0, 2);
        assertArrayEquals(one, Arrays.copyOf(back, 512));
        assertArrayEquals(Arrays.copyOfRange(pattern(2, 5), 512, 1024), Arrays.copyOfRange(back, 512, 1024));
        assertGood(exec(rw10(0x2a, 0, 0, 1), new byte[200]));                           // a partial block: nothing
        assertGood(exec(rw10(0x2a, 0, 0, 1), null));
        assertArrayEquals(one, read16(0, 1));
    }

    @Test
    void writeAndVerifyWrites() {
        byte[] d = pattern(2, 7);
        assertGood(exec(rw10(0x2e, 0x02, 40, 2), d));
        assertArrayEquals(d, read16(40, 2));
        byte[] e = pattern(1, 8);
        assertGood(exec(rw16(0x8e, 0, 50, 1), e));
        assertArrayEquals(e, read16(50, 1));
    }

    @Test
    void verifyComparesDataOutAndReportsTheFirstDifferentByte() {
        byte[] d = pattern(4, 11);
        write16(1000, d);
        assertGood(exec(rw10(0x2f, 0, 1000, 4)));                                      // BYTCHK 0
        assertGood(exec(rw10(0x2f, 0x02, 1000, 4), d));                                // BYTCHK 1, equal
        byte[] wrong = d.clone();
        wrong[1300] ^= 0x5a;
        Reply r = exec(rw16(0x8f, 0x02, 1000, 4), wrong);
        assertCheck(r, SenseReason.MISCOMPARE_DURING_VERIFY);
        assertEquals(0x80, r.sense()[0] & 0x80, "INFORMATION valid");
        assertEquals(1300, Fields.u32(r.sense(), 3));
        // BYTCHK 11b: one block compared against every block of the range
        byte[] same = pattern(1, 12);
        for (int i = 0; i < 3; i++) {
            write16(2000 + i, same);
        }
        assertGood(exec(rw12(0xaf, 0x06, 2000, 3), same));
        write16(2002, pattern(1, 13));
        Reply r2 = exec(rw12(0xaf, 0x06, 2000, 3), same);
        assertCheck(r2, SenseReason.MISCOMPARE_DURING_VERIFY);
        assertTrue(Fields.u32(r2.sense(), 3) >= 1024);
        assertInvalidCdbField(exec(rw10(0x2f, 0x04, 0, 1), same), 1, 2);               // BYTCHK 10b
        assertCheck(exec(rw10(0x2f, 0x02, BLOCKS - 1, 2), pattern(2, 0)), SenseReason.LBA_OUT_OF_RANGE);
    }

    @Test
    void snapshotLunIsReadableAndWriteProtected() {
        byte[] d = pattern(2, 21);
        write16(500, d);
        Snapshot snap = volume.createSnapshot("s1");
        target.mapLun(1, EngineBackend.of(snap));
        write16(500, pattern(2, 22));   // the volume moves on; the snapshot does not

        Reply r = exec(1, NEXUS, rw16(0x88, 0, 500, 2), null);
        assertGood(r);
        assertArrayEquals(d, r.data());
        for (byte[] write : new byte[][] {rw16(0x8a, 0, 500, 1), rw10(0x2a, 0, 500, 1), rw10(0x41, 0x08, 0, 1), rw16(0x89, 0, 500, 1),
                rw16(0x8b, 0, 500, 1)}) {
            byte[] out = write[0] == (byte) 0x89 ? new byte[1024] : new byte[512];
            assertCheck(exec(1, NEXUS, write, out), SenseReason.WRITE_PROTECTED);
        }
        byte[] unmapList = new byte[24];
        Fields.put16(unmapList, 0, 22);
        Fields.put16(unmapList, 2, 16);
        Fields.put32(unmapList, 16, 1);
        assertCheck(exec(1, NEXUS, rw10(0x42, 0, 0, 24), unmapList), SenseReason.WRITE_PROTECTED);
        // MODE SENSE reports WP in the device-specific parameter
        Reply ms = exec(1, NEXUS, cdb(0x1a, 0, 0x3f, 0, 255, 0), null);
        assertGood(ms);
        assertEquals(0x80, ms.u8(2) & 0x80);
        Reply msRw = exec(cdb(0x1a, 0, 0x3f, 0, 255, 0));
        assertEquals(0, msRw.u8(2) & 0x80);
        // synchronize cache on a snapshot is harmless
        assertGood(exec(1, NEXUS, rw10(0x35, 0, 0, 0), null));
    }

    /** ORWRITE(16): medium OR data-out, on unwritten (zero) blocks too; libiscsi OrWrite.* */
    @Test
    void orWriteOrsTheDataOutIntoTheMedium() {
        byte[] a5 = new byte[3 * 512];
        Arrays.fill(a5, (byte) 0xa5);
        byte[] fa = new byte[3 * 512];
        Arrays.fill(fa, (byte) 0x5a);
        assertGood(exec(rw16(0x8b, 0, 40, 3), a5));              // never written: zeros | a5
        assertArrayEquals(a5, read16(40, 3));
        assertGood(exec(rw16(0x8b, 0x18, 40, 3), fa));           // DPO and FUA accepted
        byte[] ff = new byte[3 * 512];
        Arrays.fill(ff, (byte) 0xff);
        assertArrayEquals(ff, read16(40, 3));
        byte[] before = read16(39, 1);
        assertArrayEquals(new byte[512], before, "neighbours untouched");
        assertArrayEquals(new byte[512], read16(43, 1), "neighbours untouched");

        assertGood(exec(rw16(0x8b, 0, 0, 0), null));              // zero blocks: nothing
        assertCheck(exec(rw16(0x8b, 0, BLOCKS - 1, 2), new byte[1024]), SenseReason.LBA_OUT_OF_RANGE);
        assertCheck(exec(rw16(0x8b, 0, BLOCKS, 0), null), SenseReason.LBA_OUT_OF_RANGE);
        assertInvalidCdbField(exec(rw16(0x8b, 0x20, 0, 1), new byte[512]), 1, 5);   // ORPROTECT: no protection information
        assertInvalidCdbField(exec(rw16(0x8b, 0, 0, BlockLimits.MAX_TRANSFER_BLOCKS + 1), new byte[512]), 10, -1);
    }

    /**
     * Two initiators OR different bits into the same block, one byte per command: a read-OR-write
     * that let the other's write in between would lose bits.
     */
    @Test
    void concurrentOrWritesLoseNoBits() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            java.util.List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int bit = 0; bit < 2; bit++) {
                int mask = 1 << bit;
                ItNexus who = bit == 0 ? NEXUS : OTHER;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 512; i++) {
                        byte[] out = new byte[512];
                        out[i] = (byte) mask;
                        assertGood(exec(0, who, rw16(0x8b, 0, 900, 1), out));
                    }
                }));
            }
            for (java.util.concurrent.Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        byte[] both = new byte[512];
        Arrays.fill(both, (byte) 0x03);
        assertArrayEquals(both, read16(900, 1));
    }

    @Test
    void synchronizeCacheAndPrefetchCheckTheRange() {
        assertGood(exec(rw10(0x35, 0, 0, 0)));
        assertGood(exec(rw16(0x91, 0x02, BLOCKS - 1, 1)));
        assertCheck(exec(rw16(0x91, 0, BLOCKS - 1, 2)), SenseReason.LBA_OUT_OF_RANGE);
        assertGood(exec(rw10(0x34, 0, 0, 16)));
        assertCheck(exec(rw16(0x90, 0, BLOCKS, 1)), SenseReason.LBA_OUT_OF_RANGE);
    }

    @Test
    void readCapacityReportsSizeBlockSizeAndProvisioning() {
        Reply r10 = exec(cdb(0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0));
        assertGood(r10);
        assertEquals(BLOCKS - 1, r10.u32(0));
        assertEquals(512, r10.u32(4));
        Reply r16 = exec(cdb(0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0));
        assertGood(r16);
        assertEquals(32, r16.data().length);
        assertEquals(BLOCKS - 1, r16.u64(0));
        assertEquals(512, r16.u32(8));
        assertEquals(0, r16.u8(13) & 0x0f, "LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT");
        assertEquals(0xc0, r16.u8(14) & 0xc0, "LBPME and LBPRZ");
        assertEquals(12, exec(cdb(0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0)).data().length);
        assertInvalidCdbField(exec(cdb(0x25, 0, 0, 0, 0, 1, 0, 0, 0, 0)), 2, -1);       // LBA without PMI
    }
}
