package io.prefetchd.gateway.s3;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with jitter: the pause before retry {@code n} (1 for the first retry) is
 * {@code first * 2^(n-1)}, at most {@code max}, then scaled to between half and all of itself by a uniform
 * random draw. The random half spreads the retries of many parts that failed together (one S3 hiccup) so they
 * do not return in lockstep; the fixed half keeps every pause growing.
 *
 * <p>Thread-safe when {@code random} is.
 */
final class Backoff {
    private final long firstNanos;
    private final long maxNanos;
    private final DoubleSupplier random;

    /**
     * @param random uniform draws in {@code [0, 1)}
     */
    Backoff(Duration first, Duration max, DoubleSupplier random) {
        this.firstNanos = requireNonNull(first, "first is null").toNanos();
        this.maxNanos = requireNonNull(max, "max is null").toNanos();
        this.random = requireNonNull(random, "random is null");
    }

    /** The pause before retry {@code retry} (at least 1). */
    Duration delay(int retry) {
        if (retry < 1) {
            throw new IllegalArgumentException("retry must be at least 1: " + retry);
        }
        long full = maxNanos;
        if (retry - 1 < Long.numberOfLeadingZeros(Math.max(1, firstNanos)) - 1) {
            full = Math.min(maxNanos, firstNanos << (retry - 1));
        }
        double scale = 0.5 + 0.5 * random.getAsDouble();
        return Duration.ofNanos((long) (full * scale));
    }
}
