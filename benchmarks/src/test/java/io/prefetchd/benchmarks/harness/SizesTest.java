package io.prefetchd.benchmarks.harness;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SizesTest {
    @Test
    void parse_binaryUnits() {
        assertEquals(64L << 20, Sizes.parse("64MiB"));
        assertEquals(2L << 30, Sizes.parse("2G"));
        assertEquals(100 * 1024, Sizes.parse("100KB"));
        assertEquals(1536L << 20, Sizes.parse("1.5GiB"));
        assertEquals(12345, Sizes.parse("12345"));
        assertEquals(0, Sizes.parse("0"));
    }

    @Test
    void parse_garbage_saysWhat() {
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("lots"));
    }
}
