package io.prefetchd.tracer;

/**
 * The reads of one training sample within one epoch. Sorted by {@code firstReadNanos}, the summaries give the
 * order in which the epoch visited its samples.
 *
 * @param sample         the sample index from the {@link SampleMapper}
 * @param reads          number of reads attributed to it
 * @param bytes          bytes returned by them
 * @param cacheHits      of those, served from cache
 * @param prefetchHits   served from prefetched bytes
 * @param s3Waits        that waited on S3
 * @param s3WaitNanos    total wait on S3
 * @param firstReadNanos time of its first read
 * @param lastReadNanos  time of its last read
 */
public record SampleSummary(long sample, long reads, long bytes, long cacheHits, long prefetchHits, long s3Waits,
                            long s3WaitNanos, long firstReadNanos, long lastReadNanos) {
}
