package io.prefetchd.planner.sim;

import static java.util.Objects.requireNonNull;

/**
 * What one policy did over the measured epochs (per-epoch figures are averages).
 *
 * @param hitRatio               share of bytes read that were reused from the cache (read before since fetched)
 * @param noWaitRatio            share of reads that did not wait on S3
 * @param s3BytesPerEpoch        bytes fetched from S3, holes included
 * @param requestsPerEpoch       GETs
 * @param wasteBytesPerEpoch     hole bytes fetched only to coalesce GETs
 * @param unusedPrefetchBytesPerEpoch bytes fetched and evicted before anything read them
 * @param stallSecondsPerEpoch   time the consumer waited for data (epoch time − compute time)
 * @param epochSeconds           epoch time
 * @param meanReadWaitMillis     mean wait of the reads that waited
 * @param peakCacheBytes         largest number of bytes cached or reserved at once (never above capacity)
 */
public record PolicyResult(PolicyKind policy, double hitRatio, double noWaitRatio, double s3BytesPerEpoch,
                           double requestsPerEpoch, double wasteBytesPerEpoch, double unusedPrefetchBytesPerEpoch,
                           double stallSecondsPerEpoch, double epochSeconds, double meanReadWaitMillis,
                           long peakCacheBytes, long reads, long hitBytes, long readBytes) {
    public PolicyResult {
        requireNonNull(policy, "policy is null");
    }

    static PolicyResult of(PolicyKind policy, Harness.Stats s) {
        int epochs = Math.max(1, s.epochs);
        return new PolicyResult(policy,
                s.readBytes == 0 ? 0 : (double) s.hitBytes / s.readBytes,
                s.reads == 0 ? 0 : 1.0 - (double) s.waitedReads / s.reads,
                (double) s.s3Bytes / epochs,
                (double) s.requests / epochs,
                (double) s.wasteBytes / epochs,
                (double) s.unusedPrefetchBytes / epochs,
                (s.epochNanos - s.computeNanos) / 1e9 / epochs,
                s.epochNanos / 1e9 / epochs,
                s.waitedReads == 0 ? 0 : s.readWaitNanos / 1e6 / s.waitedReads,
                s.maxUsed, s.reads, s.hitBytes, s.readBytes);
    }
}
