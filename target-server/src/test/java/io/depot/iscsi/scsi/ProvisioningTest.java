package io.depot.iscsi.scsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.PoolOptions;
import io.depot.iscsi.backstore.EngineBackend;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ProvisioningTest extends ScsiFixture {

    static byte[] unmapList(long... lbaAndCount) {
        int n = lbaAndCount.length / 2;
        byte[] p = new byte[8 + 16 * n];
        Fields.put16(p, 0, p.length - 2);
        Fields.put16(p, 2, 16 * n);
        for (int i = 0; i < n; i++) {
            Fields.put64(p, 8 + 16 * i, lbaAndCount[2 * i]);
            Fields.put32(p, 16 + 16 * i, lbaAndCount[2 * i + 1]);
        }
        return p;
    }

    static byte[] unmapCdb(int listLength) { return rw10(0x42, 0, 0, listLength); }

    static byte[] getLbaStatus(long lba, int allocation) {
        byte[] c = rw16(0x9e, 0x12, lba, allocation);
        return c;
    }

    @Test
    void unmapDeallocatesAndReadsZeros() {
        write16(0, pattern(256, 1));
        byte[] list = unmapList(0, 128, 200, 56);
        assertGood(exec(unmapCdb(list.length), list));
        assertArrayEquals(new byte[128 * 512], read16(0, 128));
        assertArrayEquals(Arrays.copyOfRange(pattern(256, 1), 128 * 512, 200 * 512), read16(128, 72));
        assertArrayEquals(new byte[56 * 512], read16(200, 56));
        Reply st = exec(getLbaStatus(0, 200));
        assertGood(st);
        assertEquals(0, st.u64(8), "first descriptor starts at the requested LBA");
        assertEquals(1, st.u8(20) & 0x0f, "LBA 0 is deallocated");
    }

    @Test
    void unmapParameterListIsValidatedBeforeAnythingChanges() {
        byte[] data = pattern(8, 2);
        write16(0, data);
        assertGood(exec(unmapCdb(0)));                                                   // no list: nothing to do
        assertCheck(exec(unmapCdb(6), new byte[6]), SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        assertCheck(exec(unmapCdb(24), new byte[10]), SenseReason.PARAMETER_LIST_LENGTH_ERROR);   // short data-out
        byte[] outOfRange = unmapList(0, 8, BLOCKS - 1, 2);
        assertCheck(exec(unmapCdb(outOfRange.length), outOfRange), SenseReason.LBA_OUT_OF_RANGE);
        assertArrayEquals(data, read16(0, 8), "the valid first descriptor was not applied");
        long[] many = new long[2 * 257];
        for (int i = 0; i < 257; i++) {
            many[2 * i] = i;
        }
        byte[] tooMany = unmapList(many);
        Reply r = exec(unmapCdb(tooMany.length), tooMany);
        assertCheck(r, SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        assertEquals(0x80, r.sense()[15] & 0xc0, "field pointer into the parameter list (C/D = 0)");
        // MAXIMUM UNMAP LBA COUNT needs a volume larger than it: a thin 1 TiB one costs nothing
        target.mapLun(5, EngineBackend.of(pool.createVolume("big", 1L << 40)));
        byte[] tooLong = unmapList(0, BlockLimits.MAX_UNMAP_BLOCKS / 2, 1L << 30, BlockLimits.MAX_UNMAP_BLOCKS / 2 + 1);
        assertCheck(exec(5, NEXUS, unmapCdb(tooLong.length), tooLong), SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        byte[] justRight = unmapList(0, BlockLimits.MAX_UNMAP_BLOCKS / 2, 1L << 30, BlockLimits.MAX_UNMAP_BLOCKS / 2);
        drainUnitAttentions(5, NEXUS);
        assertGood(exec(5, NEXUS, unmapCdb(justRight.length), justRight));
        byte[] anchor = unmapCdb(24);
        anchor[1] = 0x01;
        assertInvalidCdbField(exec(anchor, unmapList(0, 1)), 1, 0);
        // zero-block descriptors, even at the last LBA, are fine
        byte[] zeros = unmapList(0, 0, BLOCKS - 1, 0);
        assertGood(exec(unmapCdb(zeros.length), zeros));
        // LBA + 0 does not exceed the capacity at the capacity itself (libiscsi Unmap.ZeroBlocks); past it, it does
        byte[] emptyAtEnd = unmapList(BLOCKS, 0);
        assertGood(exec(unmapCdb(emptyAtEnd.length), emptyAtEnd));
        byte[] emptyPastEnd = unmapList(BLOCKS + 1, 0);
        assertCheck(exec(unmapCdb(emptyPastEnd.length), emptyPastEnd), SenseReason.LBA_OUT_OF_RANGE);
        byte[] hugeLba = unmapList(-1L, 0);
        assertCheck(exec(unmapCdb(hugeLba.length), hugeLba), SenseReason.LBA_OUT_OF_RANGE);
        byte[] oneAtEnd = unmapList(BLOCKS, 1);
        assertCheck(exec(unmapCdb(oneAtEnd.length), oneAtEnd), SenseReason.LBA_OUT_OF_RANGE);
        assertArrayEquals(data, read16(0, 8));
    }

    @Test
    void writeSameRepeatsThePatternBlock() {
        byte[] block = pattern(1, 3);
        // 3000 blocks: more than one pooled chunk (1 MiB = 2048 blocks)
        assertGood(exec(rw16(0x93, 0, 10, 3000), block));
        byte[] back = read16(10, 3000);
        for (int i = 0; i < 3000; i++) {
            assertArrayEquals(block, Arrays.copyOfRange(back, i * 512, (i + 1) * 512), "block " + i);
        }
        assertGood(exec(rw10(0x41, 0, BLOCKS - 1, 1), block));
        assertArrayEquals(block, read16(BLOCKS - 1, 1));
    }

    @Test
    void writeSameWithUnmapDeallocatesZeroPatternsAndWritesOthers() {
        write16(0, pattern(512, 4));
        assertGood(exec(rw16(0x93, 0x08, 0, 256), new byte[512]));
        assertArrayEquals(new byte[256 * 512], read16(0, 256));
        Reply st = exec(getLbaStatus(0, 64));
        assertEquals(1, st.u8(20) & 0x0f, "deallocated");
        assertTrue(st.u32(16) >= 256, "the whole unmapped range in the first descriptor");
        // unaligned range with UNMAP: the partial part is zeroed
        assertGood(exec(rw10(0x41, 0x08, 300, 7), new byte[512]));
        assertArrayEquals(new byte[7 * 512], read16(300, 7));
        assertArrayEquals(Arrays.copyOfRange(pattern(512, 4), 307 * 512, 308 * 512), read16(307, 1));
        // UNMAP with a non-zero pattern must write the pattern
        byte[] block = pattern(1, 5);
        assertGood(exec(rw16(0x93, 0x08, 400, 2), block));
        assertArrayEquals(block, read16(401, 1));
        // NDOB: zeros without data-out
        assertGood(exec(rw16(0x93, 0x09, 400, 2), null));
        assertArrayEquals(new byte[1024], read16(400, 2));
    }

    @Test
    void writeSameRefusesZeroBlocksWrongDataOutAndOverlongRanges() {
        assertInvalidCdbField(exec(rw16(0x93, 0, 0, 0), new byte[512]), 10, -1);          // WSNZ
        assertCheck(exec(rw16(0x93, 0, BLOCKS, 0), new byte[512]), SenseReason.LBA_OUT_OF_RANGE);
        assertCheck(exec(rw16(0x93, 0, -1L, 0), new byte[512]), SenseReason.LBA_OUT_OF_RANGE);
        assertCheck(exec(rw16(0x93, 0, BLOCKS - 1, 2), new byte[512]), SenseReason.LBA_OUT_OF_RANGE);
        assertInvalidCdbField(exec(rw16(0x93, 0x08, 0, 1), new byte[256]), 10, -1);      // too little data-out
        assertInvalidCdbField(exec(rw16(0x93, 0x08, 0, 1), new byte[1024]), 10, -1);     // too much
        // the fabric gathers only the one block the CDB asks for; the initiator's expected length
        // still tells us it meant something else (libiscsi WriteSame10/16.InvalidDataOutSize)
        write16(0, pattern(1, 6));
        assertInvalidCdbField(exec(0, NEXUS, rw16(0x93, 0x08, 0, 1), new byte[512], 1024), 10, -1);
        assertInvalidCdbField(exec(0, NEXUS, rw10(0x41, 0x08, 0, 1), new byte[512], 1024), 7, -1);
        assertInvalidCdbField(exec(0, NEXUS, rw10(0x41, 0, 0, 1), new byte[256], 256), 7, -1);
        assertArrayEquals(pattern(1, 6), read16(0, 1), "nothing unmapped or written");
        target.mapLun(5, EngineBackend.of(pool.createVolume("big", 1L << 40)));
        assertInvalidCdbField(exec(5, NEXUS, rw16(0x93, 0, 0, BlockLimits.MAX_WRITE_SAME_BLOCKS + 1), new byte[512]), 10, -1);
        // 65536 blocks is past the limit (libiscsi WriteSame16.Unmap relies on it being refused)
        assertInvalidCdbField(exec(5, NEXUS, rw16(0x93, 0x08, 0, 65536), new byte[512]), 10, -1);
        assertGood(exec(5, NEXUS, rw16(0x93, 0x08, 0, BlockLimits.MAX_WRITE_SAME_BLOCKS), new byte[512]));
        assertInvalidCdbField(exec(rw10(0x41, 0x10, 0, 1), new byte[512]), 1, 4);       // ANCHOR
        assertInvalidCdbField(exec(rw10(0x41, 0x01, 0, 1), null), 1, 0);                // no NDOB in WRITE SAME(10)
    }

    @Test
    void getLbaStatusDescribesMappedAndDeallocatedExtents() {
        write16(2048, pattern(128, 6));      // one 64 KiB cluster mapped
        Reply r = exec(getLbaStatus(0, 8 + 16 * 4));
        assertGood(r);
        long paramLength = r.u32(0);
        assertEquals(r.data().length - 4, paramLength);
        assertEquals(0, r.u64(8));
        assertEquals(2048, r.u32(16));
        assertEquals(1, r.u8(20));           // deallocated
        assertEquals(2048, r.u64(24));
        assertEquals(128, r.u32(32));
        assertEquals(0, r.u8(36));           // mapped
        assertEquals(2176, r.u64(40));
        assertEquals(1, r.u8(52));
        // a small allocation length still gets the first descriptor, truncated
        assertEquals(24, exec(getLbaStatus(2048, 24)).data().length);
        assertCheck(exec(getLbaStatus(BLOCKS, 64)), SenseReason.LBA_OUT_OF_RANGE);
        Reply last = exec(getLbaStatus(BLOCKS - 1, 64));
        assertGood(last);
        assertEquals(1, last.u32(16));
    }

    @Test
    void snapshotLunReportsEverythingMapped() {
        target.mapLun(3, EngineBackend.of(volume.createSnapshot("s")));
        Reply r = exec(3, NEXUS, getLbaStatus(0, 64), null);
        assertGood(r);
        assertEquals(0, r.u8(20));
    }

    @Test
    void writesToAFullPoolFailWithSpaceAllocationFailed() {
        // a second, tiny pool: 1 MiB of capacity behind a 64 MiB thin volume
        io.depot.engine.Pool tiny = io.depot.engine.Pool.create(dir.resolve("tiny"), PoolOptions.ofCapacity(1 << 20));
        try {
            target.mapLun(7, EngineBackend.of(tiny.createVolume("small", VOLUME_BYTES)));
            Reply r = null;
            for (int i = 0; i < 64; i++) {
                r = exec(7, NEXUS, rw16(0x8a, 0, i * 256L, 256), pattern(256, i));
                if (!r.good()) {
                    break;
                }
            }
            assertCheck(r, SenseReason.SPACE_ALLOCATION_FAILED_WRITE_PROTECT);
            // unmapping gives the space back and writes work again
            byte[] list = unmapList(0, 2048);
            assertGood(exec(7, NEXUS, unmapCdb(list.length), list));
            assertGood(exec(7, NEXUS, rw16(0x8a, 0, 4096, 256), pattern(256, 99)));
        } finally {
            target.unmapLun(7);
            tiny.close();
        }
    }
}
