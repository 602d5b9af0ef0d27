package io.prefetchd.planner.units;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SizesTest {
    @Test
    void parse_200MB_isBinary_likeEveryOtherSpellingOfTheUnit() {
        assertEquals(209_715_200L, Sizes.parse("200MB"));
        assertEquals(209_715_200L, Sizes.parse("200MiB"));
        assertEquals(209_715_200L, Sizes.parse("200M"));
        assertEquals(209_715_200L, Sizes.parse("200 mb"));
    }

    @Test
    void parse_everySpellingTheDocsShow() {
        assertEquals(100L << 30, Sizes.parse("100GiB"));
        assertEquals(100L << 30, Sizes.parse("100G"));
        assertEquals(100L << 30, Sizes.parse("100GB"));
        assertEquals(512L << 20, Sizes.parse("512MiB"));
        assertEquals(3L << 39, Sizes.parse("1.5TiB"));
        assertEquals(1_073_741_824L, Sizes.parse("1073741824"));
        assertEquals(800L << 30, Sizes.parse("800GiB"));
        assertEquals(10L << 30, Sizes.parse("10GiB"));
        assertEquals(64L << 20, Sizes.parse("64MiB"));
        assertEquals(2L << 30, Sizes.parse("2GiB"));
        assertEquals(100L << 10, Sizes.parse("100KiB"));
        assertEquals(100L << 10, Sizes.parse("100kB"));
        assertEquals(1L << 50, Sizes.parse("1PiB"));
        assertEquals(42, Sizes.parse("42B"));
        assertEquals(10L << 30, Sizes.parse(" 10 gib "));
        assertEquals(0, Sizes.parse("0"));
    }

    @Test
    void parse_fractions_areTruncatedToWholeBytes() {
        assertEquals(512, Sizes.parse("0.5KiB"));
        assertEquals(1, Sizes.parse("1.9"));
    }

    @Test
    void parse_notASize_namesTheInputAndTheExpectedForm() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse("lots"));
        assertEquals("not a size: 'lots' (try 100GiB, 512MiB or a number of bytes)", e.getMessage());
        for (String bad : new String[] {"", "GiB", "-1GiB", "10XB", "1e9", "1,5GiB", "10 GiB free", "120MB/s"}) {
            assertThrows(IllegalArgumentException.class, () -> Sizes.parse(bad), "'" + bad + "' must be refused");
        }
    }

    @Test
    void parse_tooLargeOrBelowOneByte_refused() {
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("9000PiB"));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("0.5"));
    }

    @Test
    void format_oneDecimalInTheLargestBinaryUnit_andPlainBytesBelow1KiB() {
        assertEquals("0 B", Sizes.format(0));
        assertEquals("1023 B", Sizes.format(1023));
        assertEquals("1.5 KiB", Sizes.format(1536));
        assertEquals("200.0 MiB", Sizes.format(Sizes.parse("200MB")));
        assertEquals("5120.0 PiB", Sizes.format(5L << 60));
    }
}
