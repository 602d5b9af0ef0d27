package io.prefetchd.benchmarks.harness;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class EpochBoundTest {
    private static final long MIB = 1L << 20;

    @Test
    void of_noS3Traffic_allLocalBinds() {
        EpochBound b = EpochBound.of(2.0, 0, 100 * MIB, 0, 500);
        assertEquals(EpochBound.Term.ALL_LOCAL, b.binding());
        assertEquals(2.0, b.seconds(), 1e-9);
        assertEquals(1.5, b.ratio(3.0), 1e-9);
    }

    @Test
    void of_bytesAtBandwidthLongest_bandwidthBinds() {
        // 400 MiB at 100 MiB/s = 4 s; 1,000 GETs at 500/s = 2 s; all-local 1 s
        EpochBound b = EpochBound.of(1.0, 400 * MIB, 100 * MIB, 1000, 500);
        assertEquals(EpochBound.Term.BYTES, b.binding());
        assertEquals(4.0, b.seconds(), 1e-9);
        assertEquals(1.0, b.allLocalSeconds(), 1e-9);
        assertEquals(4.0, b.bytesSeconds(), 1e-9);
        assertEquals(2.0, b.getsSeconds(), 1e-9);
        assertEquals(1.25, b.ratio(5.0), 1e-9);
    }

    @Test
    void of_getsAtMeasuredRateLongest_getRateBinds() {
        // 10,000 GETs at 350/s = 28.6 s; 1,000 MiB at 400 MiB/s = 2.5 s; all-local 0.7 s
        EpochBound b = EpochBound.of(0.7, 1000 * MIB, 400 * MIB, 10_000, 350);
        assertEquals(EpochBound.Term.GETS, b.binding());
        assertEquals(10_000 / 350.0, b.seconds(), 1e-9);
        assertEquals(1.12, b.ratio(1.12 * 10_000 / 350.0), 1e-9);
        assertEquals("GET rate", b.binding().label());
    }

    @Test
    void of_withoutAllLocal_theS3TermsStillBound() {
        EpochBound b = EpochBound.of(null, 100 * MIB, 100 * MIB, 10, 100);
        assertEquals(EpochBound.Term.BYTES, b.binding());
        assertEquals(0, b.allLocalSeconds());
        assertEquals(1.0, b.seconds(), 1e-9);
    }

    @Test
    void of_unlimitedBandwidthAndUnmeasuredRate_dropThoseTerms() {
        EpochBound b = EpochBound.of(3.0, 1 << 30, 0, 1_000_000, 0);
        assertEquals(EpochBound.Term.ALL_LOCAL, b.binding());
        assertEquals(0, b.bytesSeconds());
        assertEquals(0, b.getsSeconds());
        assertNull(EpochBound.of(null, 1 << 30, 0, 1_000_000, 0), "no term applies");
        assertNull(EpochBound.of(null, 0, 100 * MIB, 0, 500), "no traffic, no all-local");
    }

    @Test
    void of_equalTerms_theEarlierTermIsNamed() {
        EpochBound b = EpochBound.of(2.0, 200 * MIB, 100 * MIB, 200, 100);
        assertEquals(EpochBound.Term.ALL_LOCAL, b.binding());
        assertEquals(2.0, b.seconds(), 1e-9);
    }
}
