package io.prefetchd.gateway.cache;

/**
 * A snapshot of an {@link ExtentCache}'s counters. Hits and misses count blocks per read (a read over three
 * blocks, two on disk, is two hits and one miss); the byte counters count bytes returned to callers.
 *
 * @param capacityBytes the configured bound on block files (headers included)
 * @param usedBytes bytes of block files on disk, plus writes in progress
 * @param blocks block files in the index
 * @param hits blocks served from disk
 * @param misses blocks that had to come from the object store (fetched by this read or joined in flight)
 * @param hitBytes bytes returned from blocks on disk
 * @param missBytes bytes returned from fetched blocks
 * @param evictions blocks removed to stay within capacity (or to make room after a failed write)
 * @param corruptDropped block files that failed verification (checksum, identity, length) and were deleted
 * @param writeFailures blocks that could not be written to disk even after a retry (served from memory)
 */
public record CacheStats(
        long capacityBytes,
        long usedBytes,
        long blocks,
        long hits,
        long misses,
        long hitBytes,
        long missBytes,
        long evictions,
        long corruptDropped,
        long writeFailures) {
}
