package io.prefetchd.benchmarks.harness;

import org.jspecify.annotations.Nullable;

/**
 * What one contender did in one epoch.
 *
 * @param samples samples the epoch asked for
 * @param samplesOk samples read with the right length and CRC32C
 * @param badBytes samples read with wrong length or content
 * @param errors samples whose read failed
 * @param bytesRead bytes the job read (sum of sample lengths read)
 * @param waited reads slower than the wait threshold (they waited on S3)
 * @param s3 what the emulated S3 served during the epoch
 * @param contenderCounters the contender's own counters over the epoch (e.g. the gateway's cache hits)
 * @param cpuSeconds CPU seconds used over the epoch by thread group, keyed {@code harness/GROUP} (the emulated S3's
 *     {@code S3Proxy-Jetty}, the readers' {@code reader threads}, ...) and {@code daemon/GROUP} for a contender that
 *     runs a process of its own; empty where not measured
 */
public record EpochResult(String contender, int epoch, double wallSeconds, int samples, int samplesOk, int badBytes,
                          int errors, long bytesRead, int waited, double p50Millis, double p99Millis,
                          S3Emulator.Counters s3, java.util.Map<String, Double> contenderCounters,
                          java.util.Map<String, Double> cpuSeconds) {

    public double samplesPerSecond() {
        return samples / wallSeconds;
    }

    public double waitedShare() {
        return samples == 0 ? 0 : (double) waited / samples;
    }

    /** The gateway's cache hit ratio in bytes over the epoch, or null when the contender has no such counters. */
    public @Nullable Double cacheHitRatio() {
        Double hit = contenderCounters.get("prefetchd_cache_hit_bytes_total");
        Double miss = contenderCounters.get("prefetchd_cache_miss_bytes_total");
        if (hit == null || miss == null || hit + miss == 0) {
            return null;
        }
        return hit / (hit + miss);
    }

    /** S3 bytes per byte the job read. */
    public double readAmplification() {
        return bytesRead == 0 ? 0 : (double) s3.getBytes() / bytesRead;
    }
}
