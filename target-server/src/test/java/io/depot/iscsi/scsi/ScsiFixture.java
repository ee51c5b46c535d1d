package io.depot.iscsi.scsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.Volume;
import io.depot.iscsi.backstore.BlockBackend;
import io.depot.iscsi.backstore.EngineBackend;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PoolArenaMetric;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real pool with one 64 MiB volume mapped at LUN 0 of a target, driven through
 * {@link CommandLayer#execute} with CDB bytes. Every data-in buffer is copied out and released;
 * after each test no pooled buffer may remain allocated.
 */
abstract class ScsiFixture {
    static {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    static final long VOLUME_BYTES = 64L << 20;
    static final long BLOCKS = VOLUME_BYTES / 512;
    static final ItNexus NEXUS = new ItNexus("iqn.2026-01.test:host-a", 0x23d000000001L, "iqn.2026-11.io.depot:t1", 1, 1);
    static final ItNexus OTHER = new ItNexus("iqn.2026-01.test:host-b", 0x23d000000002L, "iqn.2026-11.io.depot:t1", 1, 1);

    @TempDir
    Path dir;
    Pool pool;
    Volume volume;
    ScsiTarget target;
    /** Caches disabled, so active allocation counts are exact. */
    final PooledByteBufAllocator alloc = new PooledByteBufAllocator(true, 1, 1, 8192, 9, 0, 0, false);
    final Map<BlockBackend, TestReservations> reservations = new ConcurrentHashMap<>();

    @BeforeEach
    void setUpTarget() {
        pool = Pool.create(dir.resolve("pool"), poolOptions());
        volume = pool.createVolume("vol", VOLUME_BYTES);
        target = newTarget(null);
        target.mapLun(0, EngineBackend.of(volume));
    }

    PoolOptions poolOptions() { return PoolOptions.ofCapacity(1L << 30); }

    ScsiTarget newTarget(CopyOffload copyOffload) {
        return new ScsiTarget("iqn.2026-11.io.depot:t1", (backend, sink) -> {
            TestReservations r = new TestReservations(sink);
            reservations.put(backend, r);
            return r;
        }, copyOffload);
    }

    @AfterEach
    void tearDownTarget() {
        pool.close();
        long active = 0;
        for (PoolArenaMetric a : alloc.metric().directArenas()) {
            active += a.numActiveAllocations();
        }
        for (PoolArenaMetric a : alloc.metric().heapArenas()) {
            active += a.numActiveAllocations();
        }
        assertEquals(0, active, "pooled buffers left allocated");
    }

    /** What came back, with data-in copied out of its (released) buffer. */
    record Reply(int status, byte[] sense, byte[] data) {
        int key() { return sense == null ? -1 : sense[2] & 0x0f; }
        int asc() { return sense[12] & 0xff; }
        int ascq() { return sense[13] & 0xff; }
        boolean good() { return status == ScsiResult.GOOD; }
        int u8(int off) { return data[off] & 0xff; }
        int u16(int off) { return Fields.u16(data, off); }
        long u32(int off) { return Fields.u32(data, off); }
        long u64(int off) { return Fields.u64(data, off); }
    }

    Reply exec(long lun, ItNexus nexus, byte[] cdb, byte[] dataOut) {
        return exec(lun, nexus, cdb, dataOut, dataOut == null ? 0 : dataOut.length);
    }

    /**
     * As the fabric delivers a command whose expected data transfer length (the initiator's claim)
     * differs from the data-out gathered (what the CDB asked for, at most that length).
     */
    Reply exec(long lun, ItNexus nexus, byte[] cdb, byte[] dataOut, int expectedLength) {
        byte[] full = java.util.Arrays.copyOf(cdb, Math.max(16, cdb.length));
        ByteBuf out = dataOut == null ? null : alloc.directBuffer(dataOut.length).writeBytes(dataOut);
        try {
            ScsiResult r = target.execute(new ScsiCommand(lun, full, nexus, TaskAttribute.SIMPLE,
                    expectedLength, out, alloc));
            byte[] data = null;
            if (r.dataIn() != null) {
                data = new byte[r.dataIn().readableBytes()];
                r.dataIn().getBytes(r.dataIn().readerIndex(), data);
                r.dataIn().release();
            }
            return new Reply(r.status(), r.sense(), data);
        } finally {
            if (out != null) {
                out.release();
            }
        }
    }

    Reply exec(byte[] cdb) { return exec(0, NEXUS, cdb, null); }

    Reply exec(byte[] cdb, byte[] dataOut) { return exec(0, NEXUS, cdb, dataOut); }

    static void assertGood(Reply r) {
        assertEquals(ScsiResult.GOOD, r.status(), () -> "expected GOOD, got status " + r.status() + " sense "
                + (r.sense() == null ? "-" : String.format("%x/%02x/%02x", r.key(), r.asc(), r.ascq())));
    }

    static void assertCheck(Reply r, int key, int asc, int ascq) {
        assertEquals(ScsiResult.CHECK_CONDITION, r.status(), "status");
        assertNotNull(r.sense());
        assertEquals(key, r.key(), "sense key");
        assertEquals(asc, r.asc(), "ASC");
        assertEquals(ascq, r.ascq(), "ASCQ");
    }

    static void assertCheck(Reply r, SenseReason reason) { assertCheck(r, reason.key, reason.asc, reason.ascq); }

    /** ILLEGAL REQUEST INVALID FIELD IN CDB pointing at byte (and bit, or -1). */
    static void assertInvalidCdbField(Reply r, int byteOffset, int bit) {
        assertCheck(r, SenseReason.INVALID_FIELD_IN_CDB);
        int sksv = r.sense()[15] & 0xff;
        assertEquals(0xc0, sksv & 0xc0, "SKSV and C/D");
        if (bit >= 0) {
            assertEquals(0x08 | bit, sksv & 0x0f, "BPV and bit pointer");
        }
        assertEquals(byteOffset, Fields.u16(r.sense(), 16), "field pointer");
    }

    // ---- CDB builders ----

    static byte[] cdb(int... bytes) {
        byte[] c = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            c[i] = (byte) bytes[i];
        }
        return c;
    }

    static byte[] rw10(int op, int flags, long lba, int blocks) { return rw(10, op, flags, lba, blocks); }

    static byte[] rw12(int op, int flags, long lba, long blocks) { return rw(12, op, flags, lba, blocks); }

    static byte[] rw16(int op, int flags, long lba, long blocks) { return rw(16, op, flags, lba, blocks); }

    /** A (10), (12) or (16) byte READ/WRITE-style CDB: opcode, flags, then LBA and transfer length big-endian. */
    private static byte[] rw(int length, int op, int flags, long lba, long blocks) {
        byte[] c = new byte[length];
        c[0] = (byte) op;
        c[1] = (byte) flags;
        switch (length) {
            case 10 -> { Fields.put32(c, 2, lba); Fields.put16(c, 7, (int) blocks); }
            case 12 -> { Fields.put32(c, 2, lba); Fields.put32(c, 6, blocks); }
            default -> { Fields.put64(c, 2, lba); Fields.put32(c, 10, blocks); }
        }
        return c;
    }

    static byte[] pattern(int blocks, int seed) {
        byte[] b = new byte[blocks * 512];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (seed * 31 + i * 7 + (i >>> 9));
        }
        return b;
    }

    byte[] read16(long lba, int blocks) {
        Reply r = exec(rw16(0x88, 0, lba, blocks));
        assertGood(r);
        return r.data();
    }

    void write16(long lba, byte[] data) {
        assertGood(exec(rw16(0x8a, 0, lba, data.length / 512), data));
    }

    static void assertBytes(byte[] expected, byte[] actual) { assertArrayEquals(expected, actual); }

    /** Drains unit attentions of a nexus with TEST UNIT READY until GOOD; returns them in order. */
    List<SenseReason> drainUnitAttentions(long lun, ItNexus nexus) {
        List<SenseReason> seen = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Reply r = exec(lun, nexus, cdb(0, 0, 0, 0, 0, 0), null);
            if (r.good()) {
                return seen;
            }
            for (SenseReason s : SenseReason.values()) {
                if (s.key == r.key() && s.asc == r.asc() && s.ascq == r.ascq()) {
                    seen.add(s);
                }
            }
        }
        throw new AssertionError("unit attentions never drained: " + seen);
    }
}
