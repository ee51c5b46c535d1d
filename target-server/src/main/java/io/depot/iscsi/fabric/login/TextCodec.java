package io.depot.iscsi.fabric.login;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes and encodes iSCSI text: UTF-8 key=value pairs, each followed by one NUL (RFC 7143 §6.1).
 * Decoding never throws; bad text comes back as {@link Malformed} with the reason.
 */
public final class TextCodec {
    /** RFC 7143 §6.1: a key name is at most 63 bytes. */
    static final int MAX_KEY_LENGTH = 63;
    /**
     * The longest value we accept in any form. Simple values are at most 255 bytes, but CHAP_C and
     * CHAP_R carry up to 1024 binary bytes, i.e. 2050 characters of hex; 8192 bounds every case.
     */
    static final int MAX_VALUE_LENGTH = 8192;

    private TextCodec() {}

    /** The outcome of {@link #decode}. */
    public sealed interface Decoded permits Parsed, Malformed {}

    /** Well-formed text: the pairs in the order they were sent. */
    public record Parsed(List<KeyValue> pairs) implements Decoded {}

    /** Text that breaks §6.1; {@code reason} is for logs. */
    public record Malformed(String reason) implements Decoded {}

    public static Decoded decode(byte[] text) {
        if (text == null || text.length == 0) {
            return new Parsed(List.of());
        }
        if (text[text.length - 1] != 0) {
            return new Malformed("the last key=value pair is not NUL-terminated");
        }
        List<KeyValue> pairs = new ArrayList<>();
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        int start = 0;
        for (int i = 0; i < text.length; i++) {
            if (text[i] != 0) {
                continue;
            }
            int length = i - start;
            // Extra NULs (a sloppy initiator counting its padding in DataSegmentLength) carry no pair.
            if (length > 0) {
                int equals = indexOf(text, start, i, (byte) '=');
                if (equals < 0) {
                    return new Malformed("a pair has no '=' at offset " + start);
                }
                int keyLength = equals - start;
                if (keyLength == 0 || keyLength > MAX_KEY_LENGTH) {
                    return new Malformed("key of " + keyLength + " bytes at offset " + start);
                }
                if (i - equals - 1 > MAX_VALUE_LENGTH) {
                    return new Malformed("value of " + (i - equals - 1) + " bytes at offset " + start);
                }
                String key = new String(text, start, keyLength, StandardCharsets.US_ASCII);
                if (!isKeyName(text, start, equals)) {
                    return new Malformed("key with characters outside [A-Za-z0-9.+@_-] at offset " + start);
                }
                String value;
                try {
                    value = utf8.decode(ByteBuffer.wrap(text, equals + 1, i - equals - 1)).toString();
                } catch (CharacterCodingException e) {
                    return new Malformed("value of " + key + " is not UTF-8");
                }
                pairs.add(new KeyValue(key, value));
            }
            start = i + 1;
        }
        return new Parsed(List.copyOf(pairs));
    }

    public static byte[] encode(List<KeyValue> pairs) {
        StringBuilder text = new StringBuilder();
        for (KeyValue pair : pairs) {
            text.append(pair.key()).append('=').append(pair.value()).append('\0');
        }
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** RFC 7143 §6.1 key-name: letters, digits, dot, minus, plus, commercial at, underscore. */
    private static boolean isKeyName(byte[] text, int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = text[i];
            boolean ok = (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9')
                    || b == '.' || b == '-' || b == '+' || b == '@' || b == '_' || b == '#';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] text, int from, int to, byte wanted) {
        for (int i = from; i < to; i++) {
            if (text[i] == wanted) {
                return i;
            }
        }
        return -1;
    }
}
