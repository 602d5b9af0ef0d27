package io.prefetchd.benchmarks.harness;

/**
 * What the emulated S3 does to each request.
 *
 * @param firstByteMillis mean time from the request to its first byte (GET, HEAD and LIST alike)
 * @param jitterMillis the first-byte time is uniform in {@code [first - jitter, first + jitter]}, at least 0
 * @param aggregateBytesPerSecond total GET payload rate over all connections; 0 for no limit
 * @param perConnectionBytesPerSecond payload rate of one GET; 0 for no limit
 * @param seed seeds the jitter
 */
public record S3Profile(double firstByteMillis, double jitterMillis, long aggregateBytesPerSecond,
                        long perConnectionBytesPerSecond, long seed) {
    public S3Profile {
        if (firstByteMillis < 0 || jitterMillis < 0) {
            throw new IllegalArgumentException("latency and jitter must be >= 0");
        }
    }

    /** No shaping at all: a local S3Proxy as fast as it goes. */
    public static S3Profile unshaped() {
        return new S3Profile(0, 0, 0, 0, 0);
    }
}
