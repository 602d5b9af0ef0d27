package io.prefetchd.gateway.prefetch;

/**
 * How many prefetch GETs may be in flight, over all datasets of an executor: enough to keep S3 busy, and no more.
 *
 * <h2>Why not a fixed number</h2>
 * A reader needs its samples in order. Too few GETs in flight leave the link idle during each GET's first-byte
 * latency: by Little's law, a link of {@code B} bytes/s with latency {@code L} is full only with {@code B·L} bytes
 * in flight (16 GETs of 100 KB at 40 ms filled 70% of a 16 MiB/s link in the benchmark). Too many share the link
 * between them and <em>every</em> GET finishes late, the one the reader waits for included (56 GETs at once on that
 * link returned nothing for 0.4 s). So the limit follows the link, as BBR does for a TCP window: the bytes in flight
 * may be {@code GAIN × delivery rate × latency} plus one GET. The delivery rate is BBR's: each completed GET
 * (prefetch or demand) gives a sample, the bytes all GETs delivered while it was in flight divided by its
 * lifetime, and the rate is the best sample of the last second (bytes counted when a GET completes arrive in
 * bursts; over a GET's lifetime they average out). While the link is not full a GET takes about
 * {@code L}, so the delivery rate follows the limit and the limit doubles each round trip (a slow start) until
 * the rate stops growing; then it holds at about {@code GAIN·B·L}.
 *
 * <p>Bounded by {@code [MIN_SLOTS, maxFetches]} GETs and {@code maxBytes} bytes. Not thread-safe: the executor's
 * thread owns it. Times are in nanoseconds from the executor's clock.
 */
final class PrefetchBudget {
    /** Bytes in flight per byte of {@code rate × latency}: 2 keeps the link full through latency jitter. */
    static final double GAIN = 2.0;
    /** Never fewer GETs in flight than this (a cold start, or samples far smaller than the latency × rate). */
    static final int MIN_SLOTS = 8;
    /** Rate samples are kept per bucket of this length; the rate is the best of the last {@link #BUCKETS}. */
    static final long BUCKET_NANOS = 200_000_000L;
    static final int BUCKETS = 5;

    private final int maxFetches;
    private final long maxBytes;
    private final long latencyNanos;
    private final double[] bestRate = new double[BUCKETS];
    private final long[] bucketOf = new long[BUCKETS];
    private long deliveredTotal;
    private double meanGetBytes;
    private int fetches;
    private long bytes;
    /** The limit the last {@link #freeSlots} computed, for the metrics thread. */
    private volatile int lastLimit = MIN_SLOTS;

    /**
     * @param maxFetches the most prefetch GETs in flight, whatever the link
     * @param maxBytes the most prefetch bytes in flight
     * @param latencyNanos S3's first-byte latency (the configured floor of the estimate)
     */
    PrefetchBudget(int maxFetches, long maxBytes, long latencyNanos) {
        if (maxFetches < 1 || maxBytes < 1 || latencyNanos < 1) {
            throw new IllegalArgumentException("maxFetches=" + maxFetches + " maxBytes=" + maxBytes + " latency="
                    + latencyNanos);
        }
        this.maxFetches = maxFetches;
        this.maxBytes = maxBytes;
        this.latencyNanos = latencyNanos;
        java.util.Arrays.fill(bucketOf, Long.MIN_VALUE);
    }

    /** Prefetches that may start now. */
    int freeSlots(long now) {
        int limit = limit(now);
        lastLimit = limit;
        return bytes >= maxBytes ? 0 : Math.max(0, limit - fetches);
    }

    /** The limit as of the last {@link #freeSlots} call; safe from any thread. */
    int lastLimit() {
        return lastLimit;
    }

    /** The current bound on prefetch GETs in flight. */
    int limit(long now) {
        double rate = deliveryRate(now);
        if (rate <= 0 || meanGetBytes <= 0) {
            return Math.min(MIN_SLOTS, maxFetches);
        }
        double target = GAIN * rate * latencyNanos / 1e9 + meanGetBytes;
        long slots = (long) Math.ceil(target / meanGetBytes);
        return (int) Math.max(Math.min(MIN_SLOTS, maxFetches), Math.min(maxFetches, slots));
    }

    /** Bytes per second: the best rate sample of the last second, or 0 without one. */
    double deliveryRate(long now) {
        long current = Math.floorDiv(now, BUCKET_NANOS);
        double best = 0;
        for (int k = 0; k < BUCKETS; k++) {
            long age = current - bucketOf[k];
            if (age >= 0 && age < BUCKETS) {
                best = Math.max(best, bestRate[k]);
            }
        }
        return best;
    }

    /** Bytes all GETs have delivered so far: a GET notes it when it starts, for its rate sample. */
    long deliveredTotal() {
        return deliveredTotal;
    }

    /** A prefetch GET of {@code length} bytes starts. */
    void take(long length) {
        fetches++;
        bytes += length;
    }

    /** A prefetch GET of {@code length} bytes ended (either way). */
    void give(long length) {
        fetches--;
        bytes -= length;
    }

    /**
     * A GET (prefetch or demand) of {@code length} bytes completed at {@code now}; it started at {@code startedNanos},
     * when {@link #deliveredTotal()} was {@code deliveredAtStart}.
     */
    void delivered(long now, long startedNanos, long deliveredAtStart, long length) {
        deliveredTotal += length;
        double sample = (deliveredTotal - deliveredAtStart) * 1e9 / Math.max(1_000_000L, now - startedNanos);
        long bucket = Math.floorDiv(now, BUCKET_NANOS);
        int k = (int) Math.floorMod(bucket, BUCKETS);
        if (bucketOf[k] != bucket) {
            bucketOf[k] = bucket;
            bestRate[k] = 0;
        }
        bestRate[k] = Math.max(bestRate[k], sample);
        meanGetBytes = meanGetBytes == 0 ? length : 0.95 * meanGetBytes + 0.05 * length;
    }

    /** Prefetch GETs in flight (read by the metrics thread: a gauge may be one update behind). */
    int inFlight() {
        return fetches;
    }
}
