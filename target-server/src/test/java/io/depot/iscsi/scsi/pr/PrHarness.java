package io.depot.iscsi.scsi.pr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.depot.iscsi.scsi.ItNexus;
import io.depot.iscsi.scsi.Reservations;
import io.depot.iscsi.scsi.ScsiCommand;
import io.depot.iscsi.scsi.ScsiResult;
import io.depot.iscsi.scsi.SenseReason;
import io.depot.iscsi.scsi.TaskAttribute;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Builds real PERSISTENT RESERVE / RESERVE CDBs and parameter lists and runs them against a {@link Reservations}. */
final class PrHarness {
    static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    static final String TARGET = "iqn.2026-11.io.depot:test";

    static final int REGISTER = 0, RESERVE = 1, RELEASE = 2, CLEAR = 3, PREEMPT = 4, PREEMPT_AND_ABORT = 5,
        REGISTER_AND_IGNORE = 6, REGISTER_AND_MOVE = 7;
    static final int WE = 1, EA = 3, WE_RO = 5, EA_RO = 6, WE_AR = 7, EA_AR = 8;
    static final int SPEC_I_PT = 0x08, ALL_TG_PT = 0x04, APTPL = 0x01;

    record Attention(ItNexus nexus, SenseReason reason) {}

    final List<Attention> attentions = Collections.synchronizedList(new ArrayList<>());
    final Reservations.UnitAttentionSink sink = (n, r) -> attentions.add(new Attention(n, r));

    static ItNexus nexus(String initiator, long isid, int port) {
        return new ItNexus(initiator, isid, TARGET, port, port);
    }

    static byte[] cdb(int... bytes) {
        byte[] c = new byte[16];
        for (int i = 0; i < bytes.length; i++) {
            c[i] = (byte) bytes[i];
        }
        return c;
    }

    static final byte[] READ10 = cdb(0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0);
    static final byte[] WRITE10 = cdb(0x2a, 0, 0, 0, 0, 0, 0, 0, 8, 0);
    static final byte[] INQUIRY = cdb(0x12, 0, 0, 0, 96, 0);
    static final byte[] TEST_UNIT_READY = cdb(0x00);

    static ScsiResult run(ItNexus n, byte[] cdb, byte[] dataOut, java.util.function.Function<ScsiCommand, ScsiResult> handler) {
        ByteBuf out = dataOut == null ? null : Unpooled.wrappedBuffer(dataOut);
        try {
            return handler.apply(new ScsiCommand(0, cdb, n, TaskAttribute.SIMPLE,
                dataOut == null ? 0 : dataOut.length, out, ALLOC));
        } finally {
            if (out != null) {
                out.release();
            }
        }
    }

    /** The 24-byte basic PERSISTENT RESERVE OUT parameter list followed by {@code extra}. */
    static byte[] basicList(long key, long saKey, int flags, byte[] extra) {
        byte[] p = new byte[24 + extra.length];
        putLong(p, 0, key);
        putLong(p, 8, saKey);
        p[20] = (byte) flags;
        System.arraycopy(extra, 0, p, 24, extra.length);
        return p;
    }

    static byte[] proutCdb(int sa, int type, int length) {
        return cdb(0x5f, sa, type, 0, 0, length >>> 24, length >>> 16, length >>> 8, length, 0);
    }

    static ScsiResult prout(Reservations r, ItNexus n, int sa, int type, long key, long saKey, int flags) {
        return prout(r, n, sa, type, basicList(key, saKey, flags, new byte[0]));
    }

    static ScsiResult prout(Reservations r, ItNexus n, int sa, int type, byte[] list) {
        return run(n, proutCdb(sa, type, list.length), list, r::persistentReserveOut);
    }

    /** PERSISTENT RESERVE IN data (asserting GOOD), buffer released. */
    static byte[] prin(Reservations r, ItNexus n, int sa) {
        ScsiResult res = run(n, cdb(0x5e, sa, 0, 0, 0, 0, 0, 0x10, 0x00, 0), null, r::persistentReserveIn);
        assertEquals(ScsiResult.GOOD, res.status());
        assertNotNull(res.dataIn());
        try {
            byte[] d = new byte[res.dataIn().readableBytes()];
            res.dataIn().readBytes(d);
            return d;
        } finally {
            res.dataIn().release();
        }
    }

    static List<Long> readKeys(Reservations r, ItNexus n) {
        byte[] d = prin(r, n, 0);
        int len = (int) ReserveOutActions.u32(d, 4);
        List<Long> keys = new ArrayList<>();
        for (int i = 0; i < len / 8; i++) {
            keys.add(ReserveOutActions.u64(d, 8 + 8 * i));
        }
        return keys;
    }

    static int generation(Reservations r, ItNexus n) {
        return (int) ReserveOutActions.u32(prin(r, n, 0), 0);
    }

    /** TransportID bytes as an initiator would send them. */
    static byte[] transportId(String name, Long isid) {
        String text = isid == null ? name : name + ",i,0x" + String.format("%012x", isid);
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int add = Math.max(20, (b.length + 1 + 3) & ~3);
        byte[] t = new byte[4 + add];
        t[0] = (byte) ((isid == null ? 0 : 0x40) | 5);
        t[2] = (byte) (add >>> 8);
        t[3] = (byte) add;
        System.arraycopy(b, 0, t, 4, b.length);
        return t;
    }

    static void putLong(byte[] p, int off, long v) {
        for (int i = 7; i >= 0; i--) {
            p[off + i] = (byte) v;
            v >>>= 8;
        }
    }

    static void putInt(byte[] p, int off, int v) {
        p[off] = (byte) (v >>> 24);
        p[off + 1] = (byte) (v >>> 16);
        p[off + 2] = (byte) (v >>> 8);
        p[off + 3] = (byte) v;
    }

    static void assertSense(ScsiResult r, SenseReason reason) {
        assertEquals(ScsiResult.CHECK_CONDITION, r.status(), "status");
        assertEquals(reason.key, r.sense()[2] & 0x0f, "sense key");
        assertEquals(reason.asc, r.sense()[12] & 0xff, "ASC");
        assertEquals(reason.ascq, r.sense()[13] & 0xff, "ASCQ");
    }

    static void assertConflict(ScsiResult r) {
        assertEquals(ScsiResult.RESERVATION_CONFLICT, r.status(), "expected RESERVATION CONFLICT");
    }

    static void assertGood(ScsiResult r) {
        assertEquals(ScsiResult.GOOD, r.status(), () -> "expected GOOD, sense " + (r.sense() == null ? "none"
            : String.format("%x/%02x/%02x", r.sense()[2] & 0xf, r.sense()[12], r.sense()[13])));
    }
}
