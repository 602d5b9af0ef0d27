package io.prefetchd.planner;

import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * What the object store can do, as the planner models it: time to first byte, aggregate bandwidth, how many
 * requests may be in flight, and how many GETs per second one key prefix takes before S3 answers 503 SlowDown
 * (S3 documents 5,500 GET/HEAD requests a second per partitioned prefix).
 *
 * <p>The gateway estimates it online from real fetches with {@link StoreModelEstimator} and hands each new estimate
 * to {@link Planner#updateStoreModel}; the simulator passes the model it simulates.
 */
public record StoreModel(Duration firstByteLatency, long bytesPerSecond, int maxConcurrentRequests,
                         double maxRequestsPerSecondPerPrefix) {

    /** S3's documented per-prefix GET rate. */
    public static final double S3_GETS_PER_SECOND_PER_PREFIX = 5_500;

    public StoreModel {
        requireNonNull(firstByteLatency, "firstByteLatency is null");
        if (firstByteLatency.isNegative()) {
            throw new IllegalArgumentException("firstByteLatency is negative: " + firstByteLatency);
        }
        if (bytesPerSecond <= 0) {
            throw new IllegalArgumentException("bytesPerSecond must be positive: " + bytesPerSecond);
        }
        if (maxConcurrentRequests <= 0) {
            throw new IllegalArgumentException("maxConcurrentRequests must be positive: " + maxConcurrentRequests);
        }
        if (!(maxRequestsPerSecondPerPrefix > 0)) {
            throw new IllegalArgumentException("maxRequestsPerSecondPerPrefix must be positive: "
                    + maxRequestsPerSecondPerPrefix);
        }
    }

    /** A model with S3's per-prefix request rate. */
    public static StoreModel of(Duration firstByteLatency, long bytesPerSecond, int maxConcurrentRequests) {
        return new StoreModel(firstByteLatency, bytesPerSecond, maxConcurrentRequests, S3_GETS_PER_SECOND_PER_PREFIX);
    }

    /** Nanoseconds to move {@code bytes} at the model's bandwidth. */
    public long transferNanos(long bytes) {
        return (long) Math.ceil(bytes * 1e9 / bytesPerSecond);
    }
}
