package io.prefetchd.gateway.fs;

import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * How long what the gateway knows about names (attributes, listings, missing names) is served before S3 is
 * asked again. See docs/SEMANTICS.md, "Metadata freshness".
 *
 * @param ttl answers younger than this are served as they are; between {@code ttl} and {@code 2 * ttl} they are
 *     served while a background request refreshes them; older ones are asked again before answering
 * @param maxStale while S3 is unreachable or failing, answers up to this old are still served (stale-if-error);
 *     older ones fail. Long enough for a training run by default (24 h)
 * @param datasetRefresh how often the names of an indexed dataset are listed again in bulk (one paged LIST of
 *     the dataset's prefix); between those listings its LOOKUP, GETATTR, OPEN and READDIR never ask S3
 * @param listingCacheBytes heap for directory listings read from S3, and as much again for older snapshots of
 *     them that READDIR clients still page through (and, in a read-write gateway, as much again for the listings
 *     with its staged files and recent changes laid over them)
 * @param namesDir where the names of indexed datasets are kept, in files mapped and deleted at once, so they take
 *     next to nothing of the heap; null to hold them on the heap
 */
public record MetadataSettings(Duration ttl, Duration maxStale, Duration datasetRefresh, long listingCacheBytes,
                               @Nullable Path namesDir) {
    public static final Duration DEFAULT_MAX_STALE = Duration.ofHours(24);
    public static final Duration DEFAULT_DATASET_REFRESH = Duration.ofMinutes(5);
    public static final long DEFAULT_LISTING_CACHE_BYTES = 256L << 20;

    public MetadataSettings {
        requireNonNull(ttl, "ttl is null");
        requireNonNull(maxStale, "maxStale is null");
        requireNonNull(datasetRefresh, "datasetRefresh is null");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive, not " + ttl);
        }
        if (maxStale.compareTo(ttl) < 0) {
            throw new IllegalArgumentException("maxStale (" + maxStale + ") must be at least ttl (" + ttl + ")");
        }
        if (datasetRefresh.isNegative() || datasetRefresh.isZero()) {
            throw new IllegalArgumentException("datasetRefresh must be positive, not " + datasetRefresh);
        }
        if (listingCacheBytes < 0) {
            throw new IllegalArgumentException("listingCacheBytes must not be negative, not " + listingCacheBytes);
        }
    }

    /** With the default heap for listings, dataset names on the heap. */
    public MetadataSettings(Duration ttl, Duration maxStale, Duration datasetRefresh) {
        this(ttl, maxStale, datasetRefresh, DEFAULT_LISTING_CACHE_BYTES, null);
    }

    /** {@code ttl} with the default stale-if-error bound and dataset refresh interval. */
    public static MetadataSettings withTtl(Duration ttl) {
        return new MetadataSettings(ttl, DEFAULT_MAX_STALE.compareTo(ttl) < 0 ? ttl : DEFAULT_MAX_STALE,
                DEFAULT_DATASET_REFRESH);
    }
}
