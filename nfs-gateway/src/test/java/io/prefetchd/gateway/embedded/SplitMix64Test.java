package io.prefetchd.gateway.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SplitMix64Test {

    @Test
    void nextLong_seedZero_matchesReferenceSequence() {
        // first outputs of the reference splitmix64.c (Vigna) for state 0
        SplitMix64 r = new SplitMix64(0);
        assertEquals(0xE220A8397B1DCDAFL, r.nextLong());
        assertEquals(0x6E789E6AA1B965F4L, r.nextLong());
        assertEquals(0x06C45D188009454FL, r.nextLong());
    }

    @Test
    void nextInt_staysWithinBounds() {
        SplitMix64 r = new SplitMix64(1);
        int[] seen = new int[7];
        for (int i = 0; i < 7000; i++) {
            int v = r.nextInt(7);
            assertTrue(v >= 0 && v < 7, "out of range: " + v);
            seen[v]++;
        }
        for (int count : seen) {
            assertTrue(count > 800, "value drawn only " + count + " times in 7000");
        }
        for (int i = 0; i < 1000; i++) {
            int v = r.nextInt(8192, 40960);
            assertTrue(v >= 8192 && v <= 40960, "out of range: " + v);
        }
    }

    @Test
    void nextInt_nonPositiveBound_isRejected() {
        assertThrows(IllegalArgumentException.class, () -> new SplitMix64(1).nextInt(0));
    }

    @Test
    void forStream_differentNames_giveDifferentStreams() {
        assertNotEquals(SplitMix64.forStream(42, "a").nextLong(), SplitMix64.forStream(42, "b").nextLong());
        assertEquals(SplitMix64.forStream(42, "a").nextLong(), SplitMix64.forStream(42, "a").nextLong());
    }

    @Test
    void nextBytes_fillsLittleEndianFromOutputs() {
        byte[] b = new byte[10];
        new SplitMix64(0).nextBytes(b, 1, 10);
        assertEquals(0, b[0]);
        assertEquals((byte) 0xAF, b[1]);
        assertEquals((byte) 0xCD, b[2]);
        assertEquals((byte) 0xE2, b[8]);
        assertEquals((byte) 0xF4, b[9]);
    }
}
