package io.prefetchd.gateway.prefetch;

import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * How the executor carries out plans.
 *
 * @param cacheShare            share of the cache the planners may fill (the rest is left to reads of files no
 *                              planner knows, which the cache manages by recency)
 * @param maxPrefetches         the most prefetch GETs in flight at once, over all datasets (fewer while S3's delivery
 *                              rate × latency does not need them: {@link PrefetchBudget}); demand reads never wait for
 *                              these slots (they go to the store directly), so keep it below the store's own bound
 * @param maxPrefetchBytes      bytes of prefetch GETs in flight at once
 * @param storeLatency          prior for S3's first-byte latency (replaced by the online estimate)
 * @param storeBytesPerSecond   prior for S3's bandwidth
 * @param readBytesPerSecond    prior for a reader's consumption rate (the planner measures the real one)
 * @param tick                  how often the executor re-plans when nothing else happens (slots freed, reader
 *                              stopped)
 * @param idleGap               a reader silent this long has finished its epoch (unhinted datasets)
 * @param maxBackoff            after failed prefetches, the longest pause before trying again
 * @param jobGrace              how long a dataset whose job ended every epoch it announced keeps its share of the
 *                              cache for the job's next epoch (a sampler ends an epoch before it publishes the next:
 *                              the DataLoader's workers start and the order is sent in between), once the datasets'
 *                              needs exceed the cache; after that, or once another dataset's job publishes an order
 *                              or begins an epoch by reading while they do, its share goes to the others. While every
 *                              need fits the cache, the share is kept
 */
public record PrefetchSettings(double cacheShare, int maxPrefetches, long maxPrefetchBytes, Duration storeLatency,
                               long storeBytesPerSecond, long readBytesPerSecond, Duration tick, Duration idleGap,
                               Duration maxBackoff, Duration jobGrace) {
    public PrefetchSettings {
        if (!(cacheShare > 0 && cacheShare <= 1)) {
            throw new IllegalArgumentException("cacheShare must be in (0, 1]: " + cacheShare);
        }
        if (maxPrefetches < 1) {
            throw new IllegalArgumentException("maxPrefetches must be at least 1: " + maxPrefetches);
        }
        if (maxPrefetchBytes < 1) {
            throw new IllegalArgumentException("maxPrefetchBytes must be positive: " + maxPrefetchBytes);
        }
        requireNonNull(storeLatency, "storeLatency is null");
        requireNonNull(tick, "tick is null");
        requireNonNull(idleGap, "idleGap is null");
        requireNonNull(maxBackoff, "maxBackoff is null");
        requireNonNull(jobGrace, "jobGrace is null");
        if (jobGrace.isNegative() || jobGrace.compareTo(Duration.ofDays(7)) > 0) {
            throw new IllegalArgumentException("jobGrace must be from 0 to 7 days: " + jobGrace);
        }
        if (storeBytesPerSecond < 1 || readBytesPerSecond < 1) {
            throw new IllegalArgumentException("rates must be positive: store " + storeBytesPerSecond + ", read "
                    + readBytesPerSecond);
        }
        if (tick.isNegative() || tick.isZero()) {
            throw new IllegalArgumentException("tick must be positive: " + tick);
        }
    }

    /**
     * 99% of the cache, up to 96 GETs / 256 MiB in flight, priors 40 ms and 200 MB/s, 50 ms tick, 30 s idle gap, 30 s job
     * grace.
     */
    public static PrefetchSettings defaults() {
        return new PrefetchSettings(0.99, 96, 256L << 20, Duration.ofMillis(40), 200_000_000L, 200_000_000L,
                Duration.ofMillis(50), Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofSeconds(30));
    }
}
