package io.prefetchd.benchmarks.harness;

import java.util.concurrent.locks.LockSupport;

/**
 * A byte-rate limiter: {@link #acquire} blocks until {@code bytes} more may pass at {@code bytesPerSecond}.
 *
 * <p>It keeps a virtual clock, the time at which the bytes granted so far have all "left the wire". A grant moves
 * it forward by {@code bytes / rate}; the caller sleeps until the clock reaches the new value. An idle pacer lets
 * at most {@code burstNanos} of credit accumulate, so a quiet link does not bank an unbounded burst.
 *
 * <p>Thread-safe: the clock is advanced under the pacer's lock, sleeping happens outside it.
 */
final class Pacer {
    private final double nanosPerByte;
    private final long burstNanos;
    private long next;

    /** @param bytesPerSecond the rate, or 0 or less for no limit */
    Pacer(long bytesPerSecond, long burstNanos) {
        this.nanosPerByte = bytesPerSecond <= 0 ? 0 : 1e9 / bytesPerSecond;
        this.burstNanos = burstNanos;
        this.next = System.nanoTime();
    }

    boolean unlimited() {
        return nanosPerByte == 0;
    }

    /** Reserves {@code bytes} and returns the time (System.nanoTime) at which they may pass. */
    synchronized long reserve(long bytes) {
        long now = System.nanoTime();
        next = Math.max(next, now - burstNanos) + (long) (bytes * nanosPerByte);
        return next;
    }

    /**
     * Sleeps until {@code deadline} when it is more than {@code slackNanos} away. Smaller debts are left on the
     * virtual clock and paid by a later call, so the average rate is exact without a park per small slice.
     */
    static void sleepIfBehind(long deadline, long slackNanos) {
        if (deadline - System.nanoTime() > slackNanos) {
            sleepUntil(deadline);
        }
    }

    /** Sleeps until {@code deadline} (System.nanoTime). */
    static void sleepUntil(long deadline) {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
