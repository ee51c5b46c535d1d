package io.depot.nfs.rpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ResourceLeakDetector;
import java.io.ByteArrayOutputStream;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** RFC 5531 §11 record marking: split input, fragments, limits that end a connection. */
class RecordMarkingTest {
    @BeforeAll
    static void paranoid() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    static byte[] fragment(byte[] data, int from, int len, boolean last) {
        ByteBuf b = Unpooled.buffer().writeInt((last ? 0x8000_0000 : 0) | len).writeBytes(data, from, len);
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }

    private static byte[] bytes(int n, long seed) {
        byte[] d = new byte[n];
        new Random(seed).nextBytes(d);
        return d;
    }

    private static byte[] content(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.getBytes(b.readerIndex(), out);
        return out;
    }

    @Test
    void decodesRecordsSplitAtEveryByte() {
        byte[] first = bytes(301, 1);
        byte[] second = bytes(40, 2);
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        // the first record in three fragments, one of them empty; the second in one
        s.writeBytes(fragment(first, 0, 100, false));
        s.writeBytes(fragment(first, 100, 0, false));
        s.writeBytes(fragment(first, 100, 201, true));
        s.writeBytes(fragment(second, 0, 40, true));
        byte[] stream = s.toByteArray();
        for (int split = 1; split < stream.length; split++) {
            EmbeddedChannel ch = new EmbeddedChannel(new RecordMarkingDecoder(1024));
            ch.writeInbound(Unpooled.wrappedBuffer(stream, 0, split));
            ch.writeInbound(Unpooled.wrappedBuffer(stream, split, stream.length - split));
            ByteBuf a = ch.readInbound();
            ByteBuf b = ch.readInbound();
            assertArrayEquals(first, content(a), "split " + split);
            assertArrayEquals(second, content(b), "split " + split);
            a.release();
            b.release();
            assertNull(ch.readInbound());
            assertFalse(ch.finish());
        }
    }

    @Test
    void decodesAStreamFedOneByteAtATime() {
        byte[] rec = bytes(77, 3);
        byte[] stream = fragment(rec, 0, 77, true);
        EmbeddedChannel ch = new EmbeddedChannel(new RecordMarkingDecoder(1024));
        for (byte x : stream) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {x}));
        }
        ByteBuf got = ch.readInbound();
        assertArrayEquals(rec, content(got));
        got.release();
        assertFalse(ch.finish());
    }

    @Test
    void aRecordOverTheLimitIsRefusedFromItsHeaderAlone() {
        EmbeddedChannel ch = new EmbeddedChannel(new RecordMarkingDecoder(1024));
        // announced 2 GiB - 1: refused before a single payload byte is buffered
        DecoderException e = assertThrows(DecoderException.class,
                () -> ch.writeInbound(Unpooled.buffer().writeInt(0xffff_ffff)));
        assertInstanceOf(RecordFramingException.class, e.getCause());
        // whatever follows is discarded, never parsed
        ch.writeInbound(Unpooled.wrappedBuffer(fragment(new byte[8], 0, 8, true)));
        assertNull(ch.readInbound());
        ch.finishAndReleaseAll();
    }

    @Test
    void fragmentsAddUpAgainstTheLimit() {
        byte[] data = bytes(600, 4);
        EmbeddedChannel ch = new EmbeddedChannel(new RecordMarkingDecoder(1000));
        ch.writeInbound(Unpooled.wrappedBuffer(fragment(data, 0, 600, false)));
        assertThrows(DecoderException.class, () -> ch.writeInbound(Unpooled.wrappedBuffer(fragment(data, 0, 600, true))));
        assertNull(ch.readInbound());
        ch.finishAndReleaseAll();

        // exactly at the limit is fine
        EmbeddedChannel ok = new EmbeddedChannel(new RecordMarkingDecoder(1200));
        ok.writeInbound(Unpooled.wrappedBuffer(fragment(data, 0, 600, false)), Unpooled.wrappedBuffer(fragment(data, 0, 600, true)));
        ByteBuf r = ok.readInbound();
        assertEquals(1200, r.readableBytes());
        r.release();
        assertFalse(ok.finish());
    }

    @Test
    void endlessEmptyFragmentsAreCut() {
        EmbeddedChannel ch = new EmbeddedChannel(new RecordMarkingDecoder(1024));
        ByteBuf many = Unpooled.buffer();
        for (int i = 0; i <= RecordMarkingDecoder.MAX_FRAGMENTS; i++) {
            many.writeInt(0);
        }
        assertThrows(DecoderException.class, () -> ch.writeInbound(many));
        ch.finishAndReleaseAll();
    }

    @Test
    void aPartialRecordIsReleasedWhenTheConnectionCloses() {
        EmbeddedChannel ch = new EmbeddedChannel(new RecordMarkingDecoder(1024));
        ch.writeInbound(Unpooled.wrappedBuffer(fragment(bytes(100, 5), 0, 100, false)));
        assertFalse(ch.finish()); // the PARANOID leak detector reports the fragment if it leaked
    }

    @Test
    void encoderWritesOneLastFragmentTheDecoderReads() {
        byte[] rec = bytes(333, 6);
        EmbeddedChannel out = new EmbeddedChannel(RecordMarkingEncoder.INSTANCE);
        out.writeOutbound(Unpooled.wrappedBuffer(rec));
        ByteBuf header = out.readOutbound();
        ByteBuf body = out.readOutbound();
        assertEquals(0x8000_0000 | 333, header.getInt(0));
        EmbeddedChannel in = new EmbeddedChannel(new RecordMarkingDecoder(1024));
        in.writeInbound(header, body);
        ByteBuf got = in.readInbound();
        assertArrayEquals(rec, content(got));
        got.release();
        assertFalse(out.finish());
        assertFalse(in.finish());
        assertTrue(true);
    }
}
