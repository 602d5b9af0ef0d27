/**
 * The extent cache on local disk: grain-aligned blocks of S3 objects, keyed by bucket, key and ETag, each
 * in its own checksummed file, with a persistent index, LRU eviction behind a small seam, single-flight and
 * coalesced misses. The public surface is {@link io.prefetchd.gateway.cache.ExtentCache},
 * {@link io.prefetchd.gateway.cache.ObjectVersion}, {@link io.prefetchd.gateway.cache.CacheStats} and the
 * factory {@link io.prefetchd.gateway.cache.DiskExtentCache#open}; the rest is package-private.
 */
package io.prefetchd.gateway.cache;
