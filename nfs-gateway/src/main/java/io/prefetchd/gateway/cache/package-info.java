/**
 * The extent cache on local disk: blocks of S3 objects (grain-aligned, cut at sample bounds when a dataset index
 * gives them), keyed by bucket, key and ETag, each in its own checksummed file, with a compact index (primitive
 * arrays, about 32 bytes of heap per block) persisted as a checkpoint and a journal, CLOCK eviction behind a small
 * seam, single-flight and coalesced misses. The public surface is
 * {@link io.prefetchd.gateway.cache.ExtentCache}, {@link io.prefetchd.gateway.cache.ObjectVersion},
 * {@link io.prefetchd.gateway.cache.CacheStats}, {@link io.prefetchd.gateway.cache.BlockBounds} (for the planner's
 * view of blocks) and the factory {@link io.prefetchd.gateway.cache.DiskExtentCache#open}; the rest is
 * package-private.
 */
package io.prefetchd.gateway.cache;
