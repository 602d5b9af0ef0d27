package io.prefetchd.gateway.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void delay_doublesPerRetryUpToMax() {
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), () -> 1.0);   // the top of the range (draws are below 1)

        assertEquals(1_000, backoff.delay(1).toMillis());
        assertEquals(2_000, backoff.delay(2).toMillis());
        assertEquals(16_000, backoff.delay(5).toMillis());
        assertEquals(30_000, backoff.delay(6).toMillis());
        assertEquals(30_000, backoff.delay(1_000).toMillis());
    }

    @Test
    void delay_jitterKeepsAtLeastHalf() {
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), () -> 0.0);

        assertEquals(Duration.ofMillis(500), backoff.delay(1));
        assertEquals(Duration.ofSeconds(4), backoff.delay(4));
        assertEquals(Duration.ofSeconds(15), backoff.delay(64));
    }

    @Test
    void delay_jitterScalesBetweenHalfAndAll() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), () -> 0.5);

        assertEquals(Duration.ofMillis(150), backoff.delay(2));
    }

    @Test
    void delay_retryBelowOne_isRejected() {
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), () -> 0.5);

        assertThrows(IllegalArgumentException.class, () -> backoff.delay(0));
    }
}
