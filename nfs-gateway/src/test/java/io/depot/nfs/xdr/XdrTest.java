package io.depot.nfs.xdr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** XDR both ways: every type round-trips, every truncation and oversized length is a typed error. */
class XdrTest {
    @BeforeAll
    static void paranoid() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    private static byte[] sample() {
        XdrWriter w = new XdrWriter(ByteBufAllocator.DEFAULT);
        w.writeInt(-5).writeUnsignedInt(0xFFFF_FFF0L).writeHyper(Long.MIN_VALUE + 7).writeBoolean(true)
                .writeOpaque(new byte[] {1, 2, 3}).writeString("héllo").writeFixedOpaque(new byte[] {9, 8, 7, 6, 5})
                .writeInt(2).writeInt(10).writeInt(20);
        ByteBuf b = w.finish();
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        b.release();
        return out;
    }

    private static void readSample(XdrReader r) {
        assertEquals(-5, r.readInt());
        assertEquals(0xFFFF_FFF0L, r.readUnsignedInt());
        assertEquals(Long.MIN_VALUE + 7, r.readHyper());
        assertTrue(r.readBoolean());
        assertArrayEquals(new byte[] {1, 2, 3}, r.readOpaque(16));
        assertEquals("héllo", r.readString(16));
        assertArrayEquals(new byte[] {9, 8, 7, 6, 5}, r.readFixedOpaque(5));
        int n = r.readArrayLength(4, 4);
        assertEquals(2, n);
        assertEquals(10, r.readInt());
        assertEquals(20, r.readInt());
        r.expectEnd();
    }

    @Test
    void everyTypeRoundTripsWithPadding() {
        byte[] bytes = sample();
        assertEquals(0, bytes.length % 4, "XDR items are multiples of four bytes");
        readSample(new XdrReader(Unpooled.wrappedBuffer(bytes)));
    }

    @Test
    void everyTruncationIsADecodeErrorNeverAnIndexError() {
        byte[] bytes = sample();
        for (int len = 0; len < bytes.length; len++) {
            XdrReader r = new XdrReader(Unpooled.wrappedBuffer(bytes, 0, len));
            assertThrows(XdrDecodeException.class, () -> readSample(r), "prefix of " + len);
        }
    }

    @Test
    void lengthsBeyondTheCapOrTheBufferAreRefusedBeforeAllocating() {
        ByteBuf huge = Unpooled.buffer().writeInt(0x7fff_fff0).writeZero(8);
        XdrDecodeException e = assertThrows(XdrDecodeException.class, () -> new XdrReader(huge.duplicate()).readOpaque(Integer.MAX_VALUE));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertThrows(XdrDecodeException.class, () -> new XdrReader(huge.duplicate()).readOpaque(1024));
        assertThrows(XdrDecodeException.class, () -> new XdrReader(huge.duplicate()).readArrayLength(Integer.MAX_VALUE, 4));
        // a negative length (high bit set) is an unsigned length of 2^31 and more
        ByteBuf neg = Unpooled.buffer().writeInt(-1).writeZero(8);
        assertThrows(XdrDecodeException.class, () -> new XdrReader(neg).readString(255));
        // exactly at the cap is fine
        ByteBuf ok = Unpooled.buffer().writeInt(4).writeBytes(new byte[] {'a', 'b', 'c', 'd'});
        assertEquals("abcd", new XdrReader(ok).readString(4));
        ByteBuf over = Unpooled.buffer().writeInt(5).writeBytes(new byte[8]);
        assertThrows(XdrDecodeException.class, () -> new XdrReader(over).readString(4));
    }

    @Test
    void booleansAreZeroOrOneAndTrailingBytesAreNoticed() {
        assertThrows(XdrDecodeException.class, () -> new XdrReader(Unpooled.buffer().writeInt(2)).readBoolean());
        assertFalse(new XdrReader(Unpooled.buffer().writeInt(0)).readOptional());
        XdrReader r = new XdrReader(Unpooled.buffer().writeInt(1).writeInt(2));
        r.readInt();
        assertThrows(XdrDecodeException.class, r::expectEnd);
    }

    @Test
    void randomBytesOnlyEverGiveDecodeErrors() {
        Random rnd = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = new byte[rnd.nextInt(48)];
            rnd.nextBytes(b);
            XdrReader r = new XdrReader(Unpooled.wrappedBuffer(b));
            try {
                readSample(r);
            } catch (XdrDecodeException expected) {
                // fine
            } catch (AssertionError mismatch) {
                // decoded garbage into wrong values: fine, only exceptions other than these matter
            }
        }
    }

    @Test
    void largePayloadIsAppendedWithoutCopyAndPadded() {
        byte[] payload = new byte[4099];
        new Random(1).nextBytes(payload);
        XdrWriter w = new XdrWriter(ByteBufAllocator.DEFAULT);
        ByteBuf data = Unpooled.directBuffer(payload.length).writeBytes(payload);
        w.writeInt(7).writeOpaque(data).writeInt(8);
        assertEquals(4 + 4 + 4100 + 4, w.size());
        ByteBuf out = w.finish();
        assertInstanceOf(CompositeByteBuf.class, out, "the payload is a component, not a copy");
        XdrReader r = new XdrReader(out);
        assertEquals(7, r.readInt());
        ByteBuf slice = r.readOpaqueSlice(8192);
        byte[] got = new byte[slice.readableBytes()];
        slice.getBytes(slice.readerIndex(), got);
        assertArrayEquals(payload, got);
        assertEquals(8, r.readInt());
        r.expectEnd();
        assertTrue(out.release());
        assertEquals(0, data.refCnt(), "the writer took ownership of the payload");
    }

    @Test
    void releaseDropsEverythingWritten() {
        XdrWriter w = new XdrWriter(ByteBufAllocator.DEFAULT);
        ByteBuf data = Unpooled.directBuffer(2048).writeZero(2048);
        w.writeInt(1).writeOpaque(data);
        w.release();
        assertEquals(0, data.refCnt());
    }
}
