package io.depot.iscsi.fabric.login;

import java.util.Base64;
import java.util.HexFormat;
import java.util.OptionalLong;

/**
 * Parsers for the value forms of RFC 7143 §6.1: decimal, hex ("0x") and base64 ("0b") constants,
 * booleans, and binary items (CHAP_C, CHAP_R). Each returns empty / null for a value of the wrong
 * form instead of throwing.
 */
final class ValueFormats {
    private ValueFormats() {}

    /** A non-negative number up to Long.MAX_VALUE in any of the three encodings, or empty. */
    static OptionalLong number(String value) {
        if (value == null || value.isEmpty()) {
            return OptionalLong.empty();
        }
        if (hasPrefix(value, 'x') || hasPrefix(value, 'b')) {
            byte[] bytes = binary(value);
            if (bytes == null) {
                return OptionalLong.empty();
            }
            long n = 0;
            for (byte b : bytes) {
                if ((n >>> 55) != 0) {
                    return OptionalLong.empty();
                }
                n = (n << 8) | (b & 0xff);
            }
            return OptionalLong.of(n);
        }
        if (value.length() > 19) {
            return OptionalLong.empty();
        }
        long n = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return OptionalLong.empty();
            }
            n = n * 10 + (c - '0');
            if (n < 0) {
                return OptionalLong.empty();
            }
        }
        return OptionalLong.of(n);
    }

    /** A number within [low, high], or empty when the value is malformed or out of range. */
    static OptionalLong number(String value, long low, long high) {
        OptionalLong n = number(value);
        if (n.isEmpty() || n.getAsLong() < low || n.getAsLong() > high) {
            return OptionalLong.empty();
        }
        return n;
    }

    /** Yes / No (case-sensitive, §6.1), or null. */
    static Boolean bool(String value) {
        return switch (value) {
            case "Yes" -> Boolean.TRUE;
            case "No" -> Boolean.FALSE;
            default -> null;
        };
    }

    static String bool(boolean value) {
        return value ? "Yes" : "No";
    }

    /**
     * A binary item in hex ("0x", odd digit counts allowed: the value is a number) or base64
     * ("0b"), or null for anything else, including an empty item.
     */
    static byte[] binary(String value) {
        if (value == null || value.length() < 3) {
            return null;
        }
        String body = value.substring(2);
        if (hasPrefix(value, 'x')) {
            if (!HexFormat.isHexDigit(body.charAt(0)) || !body.chars().allMatch(HexFormat::isHexDigit)) {
                return null;
            }
            String even = (body.length() & 1) == 1 ? "0" + body : body;
            return HexFormat.of().parseHex(even);
        }
        if (hasPrefix(value, 'b')) {
            try {
                byte[] bytes = Base64.getDecoder().decode(body);
                return bytes.length == 0 ? null : bytes;
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }

    /** The hex form we send: "0x" and lower-case digits (libiscsi reads only hex). */
    static String hex(byte[] bytes) {
        return "0x" + HexFormat.of().formatHex(bytes);
    }

    private static boolean hasPrefix(String value, char kind) {
        return value.length() >= 2 && value.charAt(0) == '0' && Character.toLowerCase(value.charAt(1)) == kind;
    }
}
