package io.depot.iscsi.fabric.pdu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ResourceLeakDetector;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The PDU framing: split input, digests both ways, limits that end a connection. */
class PduCodecTest {
    @BeforeAll
    static void paranoid() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    /** A wire PDU: BHS with opcode and lengths, AHS, data, padding, optional digests. */
    static byte[] wire(int opcode, int itt, byte[] ahs, byte[] data, boolean hd, boolean dd) {
        ByteBuf b = Unpooled.buffer();
        ByteBuf bhs = Unpooled.buffer(48).writeZero(48);
        bhs.setByte(0, opcode);
        bhs.setByte(1, 0x80);
        bhs.setByte(4, ahs.length / 4);
        bhs.setMedium(5, data.length);
        bhs.setInt(16, itt);
        b.writeBytes(bhs).writeBytes(ahs);
        if (hd) {
            b.writeIntLE(Digest.crc32c(b, 0, b.readableBytes()));
        }
        int start = b.writerIndex();
        b.writeBytes(data).writeZero(Digest.padding(data.length));
        if (dd && data.length > 0) {
            b.writeIntLE(Digest.crc32c(b, start, b.writerIndex() - start));
        }
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }

    private static byte[] bytes(int n, long seed) {
        byte[] d = new byte[n];
        new Random(seed).nextBytes(d);
        return d;
    }

    @Test
    void decodesPdusSplitAtEveryByte() {
        for (boolean digests : new boolean[] {false, true}) {
            byte[] data = bytes(1001, 7); // odd length: 3 bytes of padding
            byte[] a = wire(Opcode.SCSI_COMMAND, 1, new byte[8], data, digests, digests);
            byte[] b = wire(Opcode.NOP_OUT, 2, new byte[0], new byte[0], digests, digests);
            byte[] stream = new byte[a.length + b.length];
            System.arraycopy(a, 0, stream, 0, a.length);
            System.arraycopy(b, 0, stream, a.length, b.length);
            for (int split = 1; split < stream.length; split++) {
                PduDecoder decoder = new PduDecoder(8192);
                decoder.configure(digests, digests, 8192);
                EmbeddedChannel ch = new EmbeddedChannel(decoder);
                ch.writeInbound(Unpooled.wrappedBuffer(stream, 0, split));
                ch.writeInbound(Unpooled.wrappedBuffer(stream, split, stream.length - split));
                Pdu first = ch.readInbound();
                Pdu second = ch.readInbound();
                assertEquals(Opcode.SCSI_COMMAND, first.opcode(), "split " + split);
                assertEquals(1, first.itt());
                assertEquals(8, first.ahs().readableBytes());
                byte[] got = new byte[first.data().readableBytes()];
                first.data().getBytes(first.data().readerIndex(), got);
                assertArrayEquals(data, got, "split " + split);
                assertEquals(Opcode.NOP_OUT, second.opcode());
                assertEquals(0, second.data().readableBytes());
                first.release();
                second.release();
                assertNull(ch.readInbound());
                assertFalse(ch.finish());
            }
        }
    }

    @Test
    void dataDigestMismatchYieldsARejectableErrorAndTheStreamGoesOn() {
        byte[] bad = wire(Opcode.DATA_OUT, 5, new byte[0], bytes(512, 1), true, true);
        bad[bad.length - 1] ^= 1; // corrupt the data digest
        byte[] good = wire(Opcode.NOP_OUT, 6, new byte[0], new byte[0], true, true);
        PduDecoder decoder = new PduDecoder(8192);
        decoder.configure(true, true, 8192);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ch.writeInbound(Unpooled.wrappedBuffer(bad), Unpooled.wrappedBuffer(good));
        DataDigestError err = assertInstanceOf(DataDigestError.class, ch.readInbound());
        assertEquals(5, err.bhs().getInt(16));
        err.bhs().release();
        Pdu next = ch.readInbound();
        assertEquals(6, next.itt());
        next.release();
        assertFalse(ch.finish());
    }

    @Test
    void headerDigestMismatchEndsTheStream() {
        byte[] bad = wire(Opcode.NOP_OUT, 5, new byte[0], new byte[0], true, false);
        bad[10] ^= 1;
        PduDecoder decoder = new PduDecoder(8192);
        decoder.configure(true, false, 8192);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        DecoderException e = assertThrows(DecoderException.class, () -> ch.writeInbound(Unpooled.wrappedBuffer(bad)));
        assertInstanceOf(PduFormatException.class, e.getCause());
        // everything after the bad header is discarded, never parsed
        ch.writeInbound(Unpooled.wrappedBuffer(wire(Opcode.NOP_OUT, 6, new byte[0], new byte[0], true, false)));
        assertNull(ch.readInbound());
        ch.finishAndReleaseAll();
    }

    @Test
    void absurdLengthsAreRefusedBeforeAnyPayloadIsBuffered() {
        ByteBuf header = Unpooled.buffer(48).writeZero(48);
        header.setByte(0, Opcode.SCSI_COMMAND);
        header.setMedium(5, 0xffffff); // 16 MiB data segment announced
        EmbeddedChannel ch = new EmbeddedChannel(new PduDecoder(8192));
        DecoderException e = assertThrows(DecoderException.class, () -> ch.writeInbound(header));
        assertTrue(e.getCause().getMessage().contains("16777215"));
        ch.finishAndReleaseAll();

        ByteBuf ahs = Unpooled.buffer(48).writeZero(48);
        ahs.setByte(4, 255); // 1020 bytes of AHS
        EmbeddedChannel ch2 = new EmbeddedChannel(new PduDecoder(8192));
        assertThrows(DecoderException.class, () -> ch2.writeInbound(ahs));
        ch2.finishAndReleaseAll();
    }

    @Test
    void encoderWritesLengthPaddingAndDigestsTheDecoderAccepts() {
        for (boolean digests : new boolean[] {false, true}) {
            PduEncoder encoder = new PduEncoder();
            encoder.configure(digests, digests);
            EmbeddedChannel out = new EmbeddedChannel(encoder);
            byte[] data = bytes(777, 3);
            OutPdu pdu = OutPdu.of(ByteBufAllocator.DEFAULT, Opcode.DATA_IN, 0x81, Unpooled.wrappedBuffer(data)).setInt(16, 42);
            out.writeOutbound(pdu);
            CompositeByteBuf wire = Unpooled.compositeBuffer();
            for (Object o; (o = out.readOutbound()) != null; ) {
                wire.addComponent(true, (ByteBuf) o);
            }
            int expectedLength = 48 + (digests ? 4 : 0) + 777 + 3 + (digests ? 4 : 0);
            assertEquals(expectedLength, wire.readableBytes());

            PduDecoder decoder = new PduDecoder(8192);
            decoder.configure(digests, digests, 8192);
            EmbeddedChannel in = new EmbeddedChannel(decoder);
            in.writeInbound(wire);
            Pdu back = in.readInbound();
            assertEquals(Opcode.DATA_IN, back.opcode());
            assertEquals(42, back.itt());
            assertEquals(777, back.dataSegmentLength());
            byte[] got = new byte[777];
            back.data().getBytes(back.data().readerIndex(), got);
            assertArrayEquals(data, got);
            back.release();
            assertFalse(in.finish());
            assertFalse(out.finish());
        }
    }

    @Test
    void randomGarbageNeverEscapesAsAnythingButAFormatError() {
        Random r = new Random(11);
        for (int i = 0; i < 2000; i++) {
            byte[] junk = bytes(r.nextInt(300), r.nextLong());
            PduDecoder decoder = new PduDecoder(8192);
            decoder.configure(r.nextBoolean(), r.nextBoolean(), 8192);
            EmbeddedChannel ch = new EmbeddedChannel(decoder);
            try {
                ch.writeInbound(Unpooled.wrappedBuffer(junk));
            } catch (DecoderException e) {
                assertInstanceOf(PduFormatException.class, e.getCause());
            }
            for (Object o; (o = ch.readInbound()) != null; ) {
                if (o instanceof Pdu p) {
                    p.release();
                } else if (o instanceof DataDigestError d) {
                    d.bhs().release();
                }
            }
            ch.finishAndReleaseAll();
        }
    }
}
