package io.prefetchd.gateway.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class BlockKeyTest {
    @Test
    void objectHex_isBothHalvesAs16LowercaseDigitsWithLeadingZeros() {
        BlockKey key = new BlockKey(0x00ab_0000_0000_00cdL, -1L, 0, 1);

        assertEquals("00ab0000000000cdffffffffffffffff", key.objectHex());
    }

    @Test
    void fileName_parsesBackToTheSameKey() {
        BlockKey key = new BlockKey(0x0123_4567_89ab_cdefL, 0x1L, 131072, 4096);

        assertEquals(key, BlockKey.parse(key.fileName()));
    }
}
