package io.prefetchd.gateway.s3;

import static io.prefetchd.gateway.s3.UploadSettings.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class UploadSettingsTest {
    private static final long GIB = 1L << 30;
    private final UploadSettings defaults = UploadSettings.defaults();

    @Test
    void defaults_arePinned() {
        assertEquals(16, defaults.concurrency());
        assertEquals(16 * MIB, defaults.multipartThreshold());
        assertEquals(8 * MIB, defaults.minPartSize());
        assertEquals(64 * MIB, defaults.maxPartSize());
        assertEquals(5 * GIB, defaults.multipartCopyThreshold());
        assertEquals(3, defaults.attempts());
        assertEquals(Duration.ofSeconds(1), defaults.firstBackoff());
        assertEquals(Duration.ofSeconds(30), defaults.maxBackoff());
    }

    @Test
    void partSize_oneGib_givesFourPartsPerSlot() {
        assertEquals(16 * MIB, defaults.partSize(GIB));
        assertEquals(64, defaults.partCount(GIB));
    }

    @Test
    void partSize_smallFile_isTheMinimum() {
        assertEquals(8 * MIB, defaults.partSize(20 * MIB));
        assertEquals(3, defaults.partCount(20 * MIB));
    }

    @Test
    void partSize_largeFile_isTheMaximum() {
        assertEquals(64 * MIB, defaults.partSize(100 * GIB));
        assertEquals(1_600, defaults.partCount(100 * GIB));
    }

    @Test
    void partSize_hugeFile_growsToStayWithinTenThousandParts() {
        long tib = 1024 * GIB;

        long part = defaults.partSize(tib);

        assertEquals(105 * MIB, part);
        assertTrue(defaults.partCount(tib) <= UploadSettings.MAX_PARTS);
    }

    @Test
    void partSize_beyondS3Limit_isRefused() {
        assertThrows(IllegalArgumentException.class, () -> defaults.partSize(10_000L * 5 * GIB + 1));
    }

    @Test
    void partSize_isWholeMebibytes() {
        assertEquals(0, defaults.withConcurrency(7).partSize(3 * GIB + 12_345) % MIB);
    }

    @Test
    void constructor_rejectsPartsBelowS3Minimum() {
        assertThrows(IllegalArgumentException.class, () -> defaults.withMultipart(16 * MIB, 4 * MIB, 64 * MIB, GIB));
        assertThrows(IllegalArgumentException.class, () -> defaults.withMultipart(16 * MIB, 8 * MIB, 6 * MIB, GIB));
        assertThrows(IllegalArgumentException.class, () -> defaults.withMultipart(16 * MIB, 8 * MIB, 6 * GIB, GIB));
    }

    @Test
    void constructor_rejectsBadConcurrencyAttemptsAndBackoff() {
        assertThrows(IllegalArgumentException.class, () -> defaults.withConcurrency(0));
        assertThrows(IllegalArgumentException.class, () -> defaults.withRetries(0, Duration.ZERO, Duration.ZERO));
        assertThrows(IllegalArgumentException.class,
                () -> defaults.withRetries(3, Duration.ofSeconds(2), Duration.ofSeconds(1)));
    }
}
