package io.prefetchd.tracer;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TracerConfigTest {
    private final TracerConfig d = TracerConfig.defaults(Path.of("/state"));

    @Test
    void defaults() {
        assertEquals(Path.of("/state/traces"), d.tracesDir());
        assertEquals(65_536, d.bufferCapacity());
        assertEquals(8192, d.batchRows());
        assertEquals(Duration.ofSeconds(1), d.flushInterval());
        assertEquals(Duration.ofSeconds(60), d.idleGap());
        assertEquals(10L << 30, d.retentionBytes());
        assertTrue(d.fsync());
        assertEquals(Duration.ofSeconds(30), d.closeTimeout());
    }

    @Test
    void bufferCapacity_isRoundedUpToAPowerOfTwo() {
        assertEquals(1024, d.withBufferCapacity(1000).bufferCapacity());
        assertEquals(1024, d.withBufferCapacity(1024).bufferCapacity());
        assertEquals(2, d.withBufferCapacity(2).bufferCapacity());
    }

    @Test
    void invalidValues_areRejectedWithTheirName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> d.withBufferCapacity(1)).getMessage()
                .startsWith("bufferCapacity"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> d.withBatchRows(0)).getMessage()
                .startsWith("batchRows"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> d.withFlushInterval(Duration.ZERO))
                .getMessage().startsWith("flushInterval"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> d.withFlushInterval(Duration.ofMinutes(2)))
                .getMessage().startsWith("flushInterval"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> d.withIdleGap(Duration.ofSeconds(-1)))
                .getMessage().startsWith("idleGap"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> d.withRetentionBytes(-1)).getMessage()
                .startsWith("retentionBytes"));
        assertEquals("stateDir is null", assertThrows(NullPointerException.class,
                () -> TracerConfig.defaults(null)).getMessage());
    }
}
