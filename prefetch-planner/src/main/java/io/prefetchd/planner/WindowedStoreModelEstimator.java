package io.prefetchd.planner;

import java.time.Duration;

/**
 * {@link StoreModelEstimator} over the last {@code window} completed fetches.
 *
 * <p>Latency: the minimum time to first byte in the window. Queueing behind our own requests only ever adds to a
 * first-byte time, so the minimum tracks the store, not our load (BBR's min-RTT argument). Bandwidth: bytes
 * completed in the window divided by the time from the earliest first byte to the latest completion, which is the
 * aggregate rate while data was flowing. Until {@code window / 4} observations arrived the prior is returned.
 * Concurrency and the per-prefix rate are configuration, kept from the prior.
 *
 * <p>Not thread-safe.
 */
final class WindowedStoreModelEstimator implements StoreModelEstimator {
    private final StoreModel prior;
    private final long[] firstByte;
    private final long[] latency;
    private final long[] completed;
    private final long[] bytes;
    private int count;
    private int next;

    WindowedStoreModelEstimator(StoreModel prior, int window) {
        this.prior = prior;
        this.firstByte = new long[window];
        this.latency = new long[window];
        this.completed = new long[window];
        this.bytes = new long[window];
    }

    @Override
    public void observe(FetchObservation o) {
        firstByte[next] = o.firstByteNanos();
        latency[next] = o.firstByteNanos() - o.issuedNanos();
        completed[next] = o.completedNanos();
        bytes[next] = o.bytes();
        next = (next + 1) % firstByte.length;
        count = Math.min(count + 1, firstByte.length);
    }

    @Override
    public StoreModel current() {
        if (count < Math.max(1, firstByte.length / 4)) {
            return prior;
        }
        long minLatency = Long.MAX_VALUE;
        long start = Long.MAX_VALUE;
        long end = Long.MIN_VALUE;
        long total = 0;
        for (int i = 0; i < count; i++) {
            minLatency = Math.min(minLatency, latency[i]);
            start = Math.min(start, firstByte[i]);
            end = Math.max(end, completed[i]);
            total += bytes[i];
        }
        long bandwidth = end > start ? (long) (total * 1e9 / (end - start)) : prior.bytesPerSecond();
        return new StoreModel(Duration.ofNanos(minLatency), Math.max(1, bandwidth), prior.maxConcurrentRequests(),
                prior.maxRequestsPerSecondPerPrefix());
    }
}
