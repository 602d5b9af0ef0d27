package io.prefetchd.planner;

import static java.util.Objects.requireNonNull;

/**
 * How a planner sizes its cache split and its requests.
 *
 * @param capacityBytes              cache capacity the planner may fill (pinned set + lookahead window + transients)
 * @param store                      initial store model; replaced by {@link Planner#updateStoreModel}
 * @param expectedReadBytesPerSecond the reader's consumption rate before any read was seen (a prior; the planner
 *                                   measures the real rate from the reads it is told about)
 * @param safetyMargin               Little's-law multiplier: the window covers {@code margin × (latency + one
 *                                   request's transfer)} of the reader's misses
 * @param maxGapBytes                largest hole between two extents of one object that is fetched (and thrown
 *                                   away) to make one GET out of two
 * @param maxRequestBytes            largest coalesced GET
 * @param maxWasteFraction           bound on hole bytes per coalesced GET, as a fraction of its useful bytes
 * @param minWindowBytes             the window never gets smaller than this
 * @param maxWindowFraction          ... nor larger than this fraction of the capacity
 * @param readSlack                  how far (in positions) a read may arrive out of the hinted order and still be
 *                                   matched to it (DataLoader workers reorder reads a little)
 */
public record PlannerConfig(long capacityBytes, StoreModel store, long expectedReadBytesPerSecond,
                            double safetyMargin, long maxGapBytes, long maxRequestBytes, double maxWasteFraction,
                            long minWindowBytes, double maxWindowFraction, int readSlack) {

    public PlannerConfig {
        requireNonNull(store, "store is null");
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("capacityBytes is negative: " + capacityBytes);
        }
        if (expectedReadBytesPerSecond <= 0) {
            throw new IllegalArgumentException("expectedReadBytesPerSecond must be positive: "
                    + expectedReadBytesPerSecond);
        }
        if (!(safetyMargin >= 1.0)) {
            throw new IllegalArgumentException("safetyMargin must be >= 1: " + safetyMargin);
        }
        if (maxGapBytes < 0) {
            throw new IllegalArgumentException("maxGapBytes is negative: " + maxGapBytes);
        }
        if (maxRequestBytes <= 0) {
            throw new IllegalArgumentException("maxRequestBytes must be positive: " + maxRequestBytes);
        }
        if (!(maxWasteFraction >= 0)) {
            throw new IllegalArgumentException("maxWasteFraction is negative: " + maxWasteFraction);
        }
        if (minWindowBytes < 0) {
            throw new IllegalArgumentException("minWindowBytes is negative: " + minWindowBytes);
        }
        if (!(maxWindowFraction > 0 && maxWindowFraction <= 1)) {
            throw new IllegalArgumentException("maxWindowFraction must be in (0, 1]: " + maxWindowFraction);
        }
        if (readSlack < 0) {
            throw new IllegalArgumentException("readSlack is negative: " + readSlack);
        }
    }

    /**
     * Defaults: margin 3, coalesce across holes up to 64 KiB, GETs up to 8 MiB (S3's guidance for byte-range
     * GETs is 8 or 16 MB), at most 1/8 of a GET thrown away, window between 1 MiB and a quarter of the
     * cache, reads matched up to 1,024 positions out of order.
     */
    public static PlannerConfig of(long capacityBytes, StoreModel store, long expectedReadBytesPerSecond) {
        return new PlannerConfig(capacityBytes, store, expectedReadBytesPerSecond, 3.0, 64 << 10, 8 << 20, 0.125,
                1 << 20, 0.25, 1024);
    }

    public PlannerConfig withSafetyMargin(double margin) {
        return new PlannerConfig(capacityBytes, store, expectedReadBytesPerSecond, margin, maxGapBytes,
                maxRequestBytes, maxWasteFraction, minWindowBytes, maxWindowFraction, readSlack);
    }

    public PlannerConfig withCoalescing(long maxGap, long maxRequest, double maxWaste) {
        return new PlannerConfig(capacityBytes, store, expectedReadBytesPerSecond, safetyMargin, maxGap,
                maxRequest, maxWaste, minWindowBytes, maxWindowFraction, readSlack);
    }

    public PlannerConfig withWindowBounds(long minWindow, double maxFraction) {
        return new PlannerConfig(capacityBytes, store, expectedReadBytesPerSecond, safetyMargin, maxGapBytes,
                maxRequestBytes, maxWasteFraction, minWindow, maxFraction, readSlack);
    }
}
