package io.prefetchd.tracer;

import static java.util.Objects.requireNonNull;

/**
 * The reads of one object version within one epoch.
 *
 * @param objectKey      the S3 key
 * @param etag           the version read
 * @param reads          number of reads
 * @param bytes          bytes returned (summed over reads; re-reads count again)
 * @param cacheHits      reads served from cache
 * @param prefetchHits   reads served from prefetched bytes
 * @param s3Waits        reads that waited on S3
 * @param s3WaitNanos    total wait on S3
 * @param firstReadNanos time of the first read (orders objects by first access)
 * @param lastReadNanos  time of the last read
 */
public record ObjectSummary(String objectKey, String etag, long reads, long bytes, long cacheHits, long prefetchHits,
                            long s3Waits, long s3WaitNanos, long firstReadNanos, long lastReadNanos) {
    public ObjectSummary {
        requireNonNull(objectKey, "objectKey is null");
        requireNonNull(etag, "etag is null");
    }
}
