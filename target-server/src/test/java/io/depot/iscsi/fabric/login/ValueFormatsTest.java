package io.depot.iscsi.fabric.login;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ValueFormatsTest {

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({
        "0, 0", "8192, 8192", "0x2000, 8192", "0X2000, 8192", "0xfff, 4095", "0bIAA=, 8192", "0BIAA=, 8192",
        "9223372036854775807, 9223372036854775807", "0x7fffffffffffffff, 9223372036854775807",
    })
    void numbersInEveryEncoding(String text, long expected) {
        assertEquals(OptionalLong.of(expected), ValueFormats.number(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-1", "+1", "1.5", "12a", "0x", "0xg1", "0b", "0b***", " 1", "9223372036854775808",
        "0x8000000000000000", "0x10000000000000000", "99999999999999999999"})
    void malformedNumbers(String text) {
        assertTrue(ValueFormats.number(text).isEmpty(), text);
    }

    @Test
    void rangeChecks() {
        assertEquals(OptionalLong.of(512), ValueFormats.number("512", 512, 1024));
        assertTrue(ValueFormats.number("511", 512, 1024).isEmpty());
        assertTrue(ValueFormats.number("1025", 512, 1024).isEmpty());
    }

    @Test
    void binaryHexAndBase64() {
        assertArrayEquals(new byte[] {0x0a, (byte) 0xbc}, ValueFormats.binary("0xabc"));
        assertArrayEquals(new byte[] {(byte) 0xab, (byte) 0xcd}, ValueFormats.binary("0XABCD"));
        assertArrayEquals(new byte[] {1, 2, 3}, ValueFormats.binary("0bAQID"));
        assertNull(ValueFormats.binary("0x"));
        assertNull(ValueFormats.binary("0xab cd"));
        assertNull(ValueFormats.binary("abcd"));
        assertNull(ValueFormats.binary("0b@@@@"));
        assertNull(ValueFormats.binary("0b===="));
        assertNull(ValueFormats.binary(null));
        assertEquals("0x0aff", ValueFormats.hex(new byte[] {0x0a, (byte) 0xff}));
    }

    @Test
    void booleansAreCaseSensitive() {
        assertEquals(Boolean.TRUE, ValueFormats.bool("Yes"));
        assertEquals(Boolean.FALSE, ValueFormats.bool("No"));
        assertNull(ValueFormats.bool("yes"));
        assertNull(ValueFormats.bool("NO"));
        assertNull(ValueFormats.bool(""));
    }
}
