package io.depot.iscsi.scsi.xcopy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import io.depot.iscsi.backstore.BlockBackend;
import io.depot.iscsi.backstore.EngineBackend;
import io.depot.iscsi.scsi.DeviceIdentity;
import io.depot.iscsi.scsi.ItNexus;
import io.depot.iscsi.scsi.ScsiCommand;
import io.depot.iscsi.scsi.ScsiResult;
import io.depot.iscsi.scsi.SenseReason;
import io.depot.iscsi.scsi.TaskAttribute;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** EXTENDED COPY and RECEIVE COPY RESULTS against real pools, after libiscsi's test_extendedcopy_* and test_receive_copy_results_*. */
class ExtendedCopyTest {
    static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    static final int BS = 512;
    static final long SIZE = 8L << 20;
    static final ItNexus NEXUS = new ItNexus("iqn.1998-01.com.vmware:esx1", 0x23d000000001L, "iqn.2026-11.io.depot:t", 1, 1);

    @TempDir Path dir;
    Pool pool;
    Volume va, vb;
    final Map<String, BlockBackend> byNaa = new HashMap<>();
    ExtendedCopy xcopy;

    @BeforeEach
    void setUp() {
        pool = Pool.create(dir.resolve("pool"), PoolOptions.ofCapacity(64L << 20));
        va = pool.createVolume("a", SIZE);
        vb = pool.createVolume("b", SIZE);
        add(EngineBackend.of(va));
        add(EngineBackend.of(vb));
        xcopy = new ExtendedCopy(naa -> byNaa.get(HexFormat.of().formatHex(naa)));
    }

    @AfterEach
    void tearDown() {
        pool.close();
    }

    void add(BlockBackend b) {
        byNaa.put(HexFormat.of().formatHex(DeviceIdentity.naa(b.uuid())), b);
    }

    // ---- parameter list builders -------------------------------------------------------------

    static byte[] header(int listId, int usage, int cscdLength, int segmentLength, int inline) {
        byte[] h = new byte[16];
        h[0] = (byte) listId;
        h[1] = (byte) (usage << 3);
        h[2] = (byte) (cscdLength >>> 8);
        h[3] = (byte) cscdLength;
        putInt(h, 8, segmentLength);
        putInt(h, 12, inline);
        return h;
    }

    /** An identification CSCD (E4h) naming a logical unit by its NAA designator, as ESXi sends it. */
    static byte[] cscd(int type, UUID uuid, int byte1, int blockLength) {
        byte[] d = new byte[32];
        d[0] = (byte) type;
        d[1] = (byte) byte1;
        d[4] = 0x01;        // code set: binary
        d[5] = 0x03;        // association: logical unit; designator type: NAA
        d[7] = 16;
        byte[] naa = DeviceIdentity.naa(uuid);
        System.arraycopy(naa, 0, d, 8, 16);
        d[29] = (byte) (blockLength >>> 16);
        d[30] = (byte) (blockLength >>> 8);
        d[31] = (byte) blockLength;
        return d;
    }

    static byte[] cscd(Volume v) {
        return cscd(0xe4, v.uuid(), 0, BS);
    }

    static byte[] segment(int src, int dst, int blocks, long srcLba, long dstLba) {
        byte[] s = new byte[28];
        s[0] = 0x02;
        s[3] = 0x18;
        s[5] = (byte) src;
        s[7] = (byte) dst;
        s[10] = (byte) (blocks >>> 8);
        s[11] = (byte) blocks;
        putLong(s, 12, srcLba);
        putLong(s, 20, dstLba);
        return s;
    }

    static byte[] list(int listId, byte[][] cscds, byte[]... segments) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int cl = 0, sl = 0;
        for (byte[] c : cscds) {
            cl += c.length;
        }
        for (byte[] s : segments) {
            sl += s.length;
        }
        out.writeBytes(header(listId, 0, cl, sl, 0));
        for (byte[] c : cscds) {
            out.writeBytes(c);
        }
        for (byte[] s : segments) {
            out.writeBytes(s);
        }
        return out.toByteArray();
    }

    ScsiResult xcopy(byte[] params) {
        return xcopy(params, params.length, 0);
    }

    ScsiResult xcopy(byte[] params, int cdbLength, int sa) {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) 0x83;
        cdb[1] = (byte) sa;
        putInt(cdb, 10, cdbLength);
        ByteBuf out = Unpooled.wrappedBuffer(params);
        try {
            return xcopy.extendedCopy(new ScsiCommand(0, cdb, NEXUS, TaskAttribute.SIMPLE, params.length, out, ALLOC));
        } finally {
            out.release();
        }
    }

    ScsiResult receive(int sa, int listId, int allocation) {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) 0x84;
        cdb[1] = (byte) sa;
        cdb[2] = (byte) listId;
        putInt(cdb, 10, allocation);
        return xcopy.receiveCopyResults(new ScsiCommand(0, cdb, NEXUS, TaskAttribute.SIMPLE, allocation, null, ALLOC));
    }

    static byte[] data(ScsiResult r) {
        assertGood(r);
        try {
            byte[] d = new byte[r.dataIn().readableBytes()];
            r.dataIn().readBytes(d);
            return d;
        } finally {
            r.dataIn().release();
        }
    }

    byte[] fill(Volume v, long offset, int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        v.write(offset, ByteBuffer.wrap(b));
        return b;
    }

    static byte[] read(Volume v, long offset, int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        v.read(offset, b);
        return b.array();
    }

    // ---- copies ------------------------------------------------------------------------------

    @Test
    void test_extendedcopy_simple_betweenTwoVolumes() {
        byte[] src = fill(va, 0, 3 << 20, 1); // 3 MiB: several chunks
        assertGood(xcopy(list(1, new byte[][] {cscd(va), cscd(vb)}, segment(0, 1, 6144, 0, 100))));
        assertArrayEquals(src, read(vb, 100 * BS, 3 << 20));
        assertArrayEquals(new byte[100 * BS], read(vb, 0, 100 * BS), "before the range untouched");
        assertArrayEquals(new byte[BS], read(vb, 100 * BS + (3 << 20), BS), "after the range untouched");
    }

    @Test
    void severalSegmentsCopyPartialRanges() {
        byte[] src = fill(va, 0, 1 << 20, 2);
        assertGood(xcopy(list(2, new byte[][] {cscd(va), cscd(vb)},
            segment(0, 1, 8, 0, 1000),        // first 4 KiB
            segment(0, 1, 1, 2047, 0),        // the last sector of the first MiB to LBA 0
            segment(0, 1, 0, 5, 5))));        // zero blocks: a no-op, not an error
        assertArrayEquals(Arrays.copyOfRange(src, 0, 4096), read(vb, 1000L * BS, 4096));
        assertArrayEquals(Arrays.copyOfRange(src, 2047 * BS, 2048 * BS), read(vb, 0, BS));
        byte[] status = data(receive(0, 2, 64));
        assertEquals(1, status[4], "completed without error");
        assertEquals(3, ((status[5] & 0xff) << 8) | (status[6] & 0xff), "segments processed");
        assertEquals(0, status[7], "transfer count in bytes");
        assertEquals(4096 + BS, ((status[8] & 0xff) << 24) | ((status[9] & 0xff) << 16) | ((status[10] & 0xff) << 8) | (status[11] & 0xff));
    }

    @Test
    void withinOneDeviceOverlappingRangesCopyAsIfBuffered() {
        byte[] src = fill(va, 0, (1 << 20) + 4096, 3);
        // destination 4 KiB after the source, over more than one chunk: must copy backwards
        assertGood(xcopy(list(3, new byte[][] {cscd(va)}, segment(0, 0, 2056, 0, 8))));
        assertArrayEquals(src, read(va, 4096, src.length));
        // and forwards
        byte[] now = read(va, 4096, 1 << 20);
        assertGood(xcopy(list(4, new byte[][] {cscd(va)}, segment(0, 0, 2048, 8, 0))));
        assertArrayEquals(now, read(va, 0, 1 << 20));
    }

    @Test
    void aSnapshotCanBeTheSourceButNotTheDestination() {
        byte[] src = fill(va, 0, 65536, 4);
        Snapshot snap = va.createSnapshot("s");
        BlockBackend snapshot = EngineBackend.of(snap);
        add(snapshot);
        fill(va, 0, 65536, 5); // the volume moves on; the snapshot keeps the old bytes
        byte[] snapCscd = cscd(0xe4, snap.uuid(), 0, BS);
        assertGood(xcopy(list(5, new byte[][] {snapCscd, cscd(vb)}, segment(0, 1, 128, 0, 0))));
        assertArrayEquals(src, read(vb, 0, 65536));
        assertSense(xcopy(list(6, new byte[][] {cscd(vb), snapCscd}, segment(0, 1, 128, 0, 0))), SenseReason.WRITE_PROTECTED);
    }

    @Test
    void outOfSpaceIsSpaceAllocationFailed(@TempDir Path small) {
        try (Pool tiny = Pool.create(small.resolve("tiny"), PoolOptions.ofCapacity(2L << 20))) {
            Volume a = tiny.createVolume("a", SIZE), b = tiny.createVolume("b", SIZE);
            add(EngineBackend.of(a));
            add(EngineBackend.of(b));
            fill(a, 0, 1280 << 10, 6); // 1.25 MiB of a 2 MiB pool
            ScsiResult r = xcopy(list(7, new byte[][] {cscd(a), cscd(b)}, segment(0, 1, 2560, 0, 0)));
            assertSense(r, SenseReason.SPACE_ALLOCATION_FAILED_WRITE_PROTECT);
            byte[] status = data(receive(0, 7, 64));
            assertEquals(2, status[4], "completed with error");
        }
    }

    // ---- RECEIVE COPY RESULTS -----------------------------------------------------------------

    @Test
    void test_receive_copy_results_copy_status() {
        assertSense(receive(0, 9, 64), SenseReason.INVALID_FIELD_IN_CDB); // no such copy
        fill(va, 0, 4096, 7);
        assertGood(xcopy(list(9, new byte[][] {cscd(va), cscd(vb)}, segment(0, 1, 8, 0, 0))));
        byte[] status = data(receive(0, 9, 64));
        assertEquals(12, status.length);
        assertEquals(8, status[3], "available data");
        assertEquals(1, status[4]);
        // LIST ID USAGE 11b: no status kept
        byte[] p = list(10, new byte[][] {cscd(va), cscd(vb)}, segment(0, 1, 8, 0, 0));
        p[1] = 3 << 3;
        assertGood(xcopy(p));
        assertSense(receive(0, 10, 64), SenseReason.INVALID_FIELD_IN_CDB);
        assertSense(receive(1, 9, 64), SenseReason.INVALID_FIELD_IN_CDB); // RECEIVE DATA: not offered
    }

    @Test
    void test_receive_copy_results_op_params() {
        byte[] d = data(receive(3, 0, 1024));
        assertEquals(46, d.length);
        assertEquals(42, ((d[2] & 0xff) << 8) | (d[3] & 0xff), "available data");
        assertEquals(16, ((d[8] & 0xff) << 8) | (d[9] & 0xff), "max CSCD descriptors");
        assertEquals(64, ((d[10] & 0xff) << 8) | (d[11] & 0xff), "max segment descriptors");
        assertEquals(4096, ((d[14] & 0xff) << 8) | (d[15] & 0xff), "max descriptor list length");
        assertEquals(9, d[37], "data segment granularity 512");
        assertEquals(2, d[43]);
        assertEquals(0x02, d[44]);
        assertEquals((byte) 0xe4, d[45]);
        assertEquals(8, data(receive(3, 0, 8)).length, "truncated to the allocation length");
        assertNull(receive(3, 0, 0).dataIn());
    }

    // ---- refusals ------------------------------------------------------------------------------

    @Test
    void test_extendedcopy_param() {
        byte[] full = list(1, new byte[][] {cscd(va)}, segment(0, 0, 2048, 0, 4096));
        assertSense(xcopy(Arrays.copyOf(full, 16 + 31)), SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        assertSense(xcopy(Arrays.copyOf(full, full.length - 1)), SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        assertSense(xcopy(Arrays.copyOf(full, 10)), SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        assertGood(xcopy(new byte[0]));
        assertSense(xcopy(full, full.length + 16, 0), SenseReason.PARAMETER_LIST_LENGTH_ERROR); // CDB claims more than sent
        assertSense(xcopy(full, full.length, 1), SenseReason.INVALID_FIELD_IN_CDB);              // LID4 service action
        byte[] inline = full.clone();
        inline[15] = 4;
        byte[] withInline = Arrays.copyOf(inline, inline.length + 4);
        assertSense(xcopy(withInline), SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
    }

    @Test
    void test_extendedcopy_descr_limits() {
        byte[][] seventeen = new byte[17][];
        Arrays.fill(seventeen, cscd(va));
        assertSense(xcopy(list(1, seventeen, segment(0, 0, 1, 0, 1))), SenseReason.TOO_MANY_TARGET_DESCRIPTORS);
        byte[][] segs = new byte[65][];
        Arrays.fill(segs, segment(0, 0, 1, 0, 1));
        assertSense(xcopy(list(2, new byte[][] {cscd(va)}, segs)), SenseReason.TOO_MANY_SEGMENT_DESCRIPTORS);
        ExtendedCopy tight = new ExtendedCopy(naa -> byNaa.get(HexFormat.of().formatHex(naa)),
            new ExtendedCopy.Limits(16, 64, 1024, 1 << 20));
        xcopy = tight;
        byte[][] many = new byte[40][]; // 32 + 40 * 28 bytes > 1024, but only 40 segments
        Arrays.fill(many, segment(0, 0, 1, 0, 1));
        assertSense(xcopy(list(3, new byte[][] {cscd(va)}, many)), SenseReason.PARAMETER_LIST_LENGTH_ERROR);
    }

    @Test
    void test_extendedcopy_descr_type() {
        assertSense(xcopy(list(1, new byte[][] {cscd(0xe0, va.uuid(), 0, BS)}, segment(0, 0, 1, 0, 1))),
            SenseReason.UNSUPPORTED_TARGET_DESCRIPTOR_TYPE);
        byte[] streamToStream = new byte[20];
        streamToStream[0] = 0x03;
        streamToStream[3] = 0x10;
        assertSense(xcopy(list(2, new byte[][] {cscd(va)}, streamToStream)), SenseReason.UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE);
    }

    @Test
    void test_extendedcopy_validate_tgt_descr() {
        byte[] first = fill(va, 0, 512, 8);
        // LU ID TYPE qualifies an LU IDENTIFIER field this descriptor lacks: ignored (SPC-4; libiscsi
        // ValidTgtDescr expects GOOD from an SPC-4 target), and the copy is done
        ScsiResult ignored = xcopy(list(1, new byte[][] {cscd(0xe4, va.uuid(), 2 << 6, BS)}, segment(0, 0, 1, 0, 1)));
        assertEquals(ScsiResult.GOOD, ignored.status(), "LU ID TYPE 10b ignored");
        assertArrayEquals(first, read(va, 512, 512), "block 0 copied to block 1");
        assertSense(xcopy(list(2, new byte[][] {cscd(0xe4, va.uuid(), 0x20, BS)}, segment(0, 0, 1, 0, 1))),
            SenseReason.COPY_ABORTED_TARGET_FAILURE); // NUL
        assertSense(xcopy(list(3, new byte[][] {cscd(0xe4, UUID.randomUUID(), 0, BS)}, segment(0, 0, 1, 0, 1))),
            SenseReason.COPY_ABORTED_TARGET_FAILURE); // nobody has that designator
        assertSense(xcopy(list(4, new byte[][] {cscd(0xe4, va.uuid(), 0, 100)}, segment(0, 0, 1, 0, 1))),
            SenseReason.INVALID_FIELD_IN_PARAMETER_LIST); // block length not a multiple of 512
    }

    @Test
    void test_extendedcopy_validate_seg_descr() {
        byte[] before = fill(vb, (SIZE - 4096), 4096, 9);
        ScsiResult badIndex = xcopy(list(1, new byte[][] {cscd(va)}, segment(0, 1, 8, 0, 0)));
        assertSense(badIndex, SenseReason.COPY_ABORTED_TARGET_FAILURE);
        long lastLba = SIZE / BS - 1;
        byte[] p = list(2, new byte[][] {cscd(va), cscd(vb)}, segment(0, 1, 8, 0, 0), segment(0, 1, 2048, 0, lastLba));
        ScsiResult beyondEnd = xcopy(p);
        assertSense(beyondEnd, SenseReason.COPY_ABORTED);
        assertEquals((byte) 0x80, beyondEnd.sense()[15], "segment pointer valid");
        assertEquals(16 + 64 + 28, ((beyondEnd.sense()[16] & 0xff) << 8) | (beyondEnd.sense()[17] & 0xff), "points at the second segment");
        assertArrayEquals(before, read(vb, SIZE - 4096, 4096), "nothing was copied: the first segment did not run either");
        assertSense(xcopy(list(3, new byte[][] {cscd(va), cscd(vb)}, segment(0, 1, 1, Long.MAX_VALUE / 256, 0))), SenseReason.COPY_ABORTED);
    }

    @Test
    void aRepeatedListIdAfterCompletionIsAccepted() {
        byte[] p = list(5, new byte[][] {cscd(va), cscd(vb)}, segment(0, 1, 8, 0, 0));
        assertGood(xcopy(p));
        assertGood(xcopy(p));
        assertEquals(1, data(receive(0, 5, 64))[4]);
    }

    // ---- helpers -----------------------------------------------------------------------------

    static void assertGood(ScsiResult r) {
        assertEquals(ScsiResult.GOOD, r.status(), () -> "expected GOOD, sense " + (r.sense() == null ? "none"
            : String.format("%x/%02x/%02x", r.sense()[2] & 0xf, r.sense()[12], r.sense()[13])));
    }

    static void assertSense(ScsiResult r, SenseReason reason) {
        assertEquals(ScsiResult.CHECK_CONDITION, r.status(), "status");
        assertEquals(reason.key, r.sense()[2] & 0x0f, "sense key");
        assertEquals(reason.asc, r.sense()[12] & 0xff, "ASC");
        assertEquals(reason.ascq, r.sense()[13] & 0xff, "ASCQ");
    }

    static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    static void putLong(byte[] b, int off, long v) {
        putInt(b, off, (int) (v >>> 32));
        putInt(b, off + 4, (int) v);
    }
}
