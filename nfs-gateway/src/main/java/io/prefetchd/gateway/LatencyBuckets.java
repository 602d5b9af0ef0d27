package io.prefetchd.gateway;

import java.time.Duration;

/**
 * Histogram bucket bounds of the latency timers (NFS operations, S3 requests), so that Prometheus can compute
 * percentiles with {@code histogram_quantile}: 100 µs (a cache hit) to 30 s (an S3 call at its timeout), 1-2.5-5
 * per decade. Fixed rather than Micrometer's percentile histogram (about 70 buckets) to keep the series per label
 * set few.
 */
public final class LatencyBuckets {
    private LatencyBuckets() {
    }

    private static final Duration[] BOUNDS = {
        Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000),
        Duration.ofMillis(1), Duration.ofNanos(2_500_000), Duration.ofMillis(5),
        Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
        Duration.ofSeconds(30),
    };

    /** The bounds, ascending (a copy). */
    public static Duration[] bounds() {
        return BOUNDS.clone();
    }
}
