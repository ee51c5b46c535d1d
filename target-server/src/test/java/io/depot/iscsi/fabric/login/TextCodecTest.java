package io.depot.iscsi.fabric.login;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TextCodecTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void decodesPairsInOrder() {
        TextCodec.Parsed p = assertInstanceOf(TextCodec.Parsed.class,
                TextCodec.decode(bytes("HeaderDigest=None,CRC32C\0SendTargets=\0InitiatorAlias=h\u00f4te=1\0")));
        assertEquals(List.of(new KeyValue("HeaderDigest", "None,CRC32C"), new KeyValue("SendTargets", ""),
                new KeyValue("InitiatorAlias", "h\u00f4te=1")), p.pairs());
    }

    @Test
    void emptyTextAndStrayNulsCarryNoPairs() {
        assertEquals(List.of(), assertInstanceOf(TextCodec.Parsed.class, TextCodec.decode(new byte[0])).pairs());
        assertEquals(List.of(), assertInstanceOf(TextCodec.Parsed.class, TextCodec.decode(null)).pairs());
        assertEquals(List.of(new KeyValue("A", "1")),
                assertInstanceOf(TextCodec.Parsed.class, TextCodec.decode(bytes("A=1\0\0\0\0"))).pairs());
    }

    @Test
    void encodeRoundTrips() {
        List<KeyValue> pairs = List.of(new KeyValue("TargetName", "iqn.2026-01.io.depot:a"), new KeyValue("TargetAlias", "d\u00e9p\u00f4t"));
        byte[] text = TextCodec.encode(pairs);
        assertEquals(0, text[text.length - 1]);
        assertEquals(pairs, assertInstanceOf(TextCodec.Parsed.class, TextCodec.decode(text)).pairs());
        assertArrayEquals(new byte[0], TextCodec.encode(List.of()));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "A=1",                 // the last pair lacks its NUL
        "A=1\0NoEquals\0",     // a pair without '='
        "=1\0",                // an empty key
        "Key With Space=1\0",  // a key outside the key-name characters
        "Kéy=1\0",             // non-ASCII key
    })
    void malformedTextIsReported(String text) {
        assertInstanceOf(TextCodec.Malformed.class, TextCodec.decode(bytes(text)));
    }

    @Test
    void keyAndValueLengthsAreBounded() {
        assertInstanceOf(TextCodec.Parsed.class, TextCodec.decode(bytes("K".repeat(63) + "=1\0")));
        assertInstanceOf(TextCodec.Malformed.class, TextCodec.decode(bytes("K".repeat(64) + "=1\0")));
        assertInstanceOf(TextCodec.Parsed.class, TextCodec.decode(bytes("CHAP_C=" + "a".repeat(8192) + "\0")));
        assertInstanceOf(TextCodec.Malformed.class, TextCodec.decode(bytes("CHAP_C=" + "a".repeat(8193) + "\0")));
    }

    @Test
    void nonUtf8ValuesAreReported() {
        byte[] text = {'A', '=', (byte) 0xc3, (byte) 0x28, 0};
        TextCodec.Malformed m = assertInstanceOf(TextCodec.Malformed.class, TextCodec.decode(text));
        assertTrue(m.reason().contains("UTF-8"));
        assertInstanceOf(TextCodec.Malformed.class, TextCodec.decode(new byte[] {'A', '=', (byte) 0xff, 0}));
        // An overlong encoding of '/' is not UTF-8 either.
        assertInstanceOf(TextCodec.Malformed.class, TextCodec.decode(new byte[] {'A', '=', (byte) 0xc0, (byte) 0xaf, 0}));
    }

    @Test
    void randomBytesNeverThrow() {
        Random random = new Random(7143);
        int parsed = 0;
        for (int round = 0; round < 20000; round++) {
            byte[] text = new byte[random.nextInt(300)];
            random.nextBytes(text);
            if (random.nextBoolean() && text.length > 0) {
                // Bias towards text-like input so the deeper branches run too.
                for (int k = 0; k < text.length; k++) {
                    int r = random.nextInt(10);
                    text[k] = r == 0 ? 0 : r == 1 ? (byte) '=' : (byte) ('A' + random.nextInt(26));
                }
                text[text.length - 1] = 0;
            }
            TextCodec.Decoded d = TextCodec.decode(text);
            if (d instanceof TextCodec.Parsed p) {
                parsed++;
                for (KeyValue kv : p.pairs()) {
                    assertTrue(!kv.key().isEmpty() && kv.key().length() <= 63);
                }
            }
        }
        assertTrue(parsed > 100, "the fuzz reached well-formed text too: " + parsed);
    }
}
