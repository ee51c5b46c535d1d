package io.depot.appliance;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class SizesTest {
    @Test
    void parsesBinaryUnits() {
        assertEquals(4096, Sizes.parse("4096"));
        assertEquals(512L << 20, Sizes.parse("512M"));
        assertEquals(20L << 30, Sizes.parse("20G"));
        assertEquals(20L << 30, Sizes.parse("20GiB"));
        assertEquals(1L << 40, Sizes.parse("1t"));
    }

    @Test
    void rejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("lots"));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("-1G"));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("99999999999P"));
    }

    @Test
    void formatsForHumans() {
        assertEquals("512 B", Sizes.format(512));
        assertEquals("1.5 GiB", Sizes.format(3L << 29));
    }
}
