package io.prefetchd.tracer;

/**
 * How the gateway served a read. Stored in trace files by name (a dictionary column), so the order of the
 * constants is not part of the file format.
 */
public enum Outcome {
    /** Every byte came from the local extent cache, and none of it was there because of a prefetch. */
    CACHE_HIT,
    /** Every byte came from the cache, and at least part of it was fetched by the prefetcher ahead of the read. */
    PREFETCH_HIT,
    /** The read waited for at least one S3 GET (a miss, or a prefetch still in flight). */
    S3_WAIT
}
