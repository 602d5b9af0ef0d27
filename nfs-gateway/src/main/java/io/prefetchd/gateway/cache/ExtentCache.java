package io.prefetchd.gateway.cache;

/**
 * Byte ranges of S3 objects, served from local disk when cached and fetched (then cached) when not.
 *
 * <p>Implementations are thread-safe.
 */
public interface ExtentCache extends AutoCloseable {

    /**
     * Exactly {@code min(length, size - offset)} bytes of that object version starting at {@code offset}
     * (empty at or after EOF). Blocks until the bytes are there.
     *
     * @throws io.prefetchd.gateway.s3.ObjectStoreException when the object store cannot deliver them
     *     (CHANGED when the object no longer has this ETag, NOT_FOUND when it is gone, THROTTLED/UNAVAILABLE
     *     when trying later may help)
     * @throws IllegalStateException after {@link #close()}
     */
    default byte[] read(ObjectVersion object, long offset, int length) {
        return readTracked(object, offset, length).data();
    }

    /** As {@link #read}, saying how the bytes were served. */
    CachedRead readTracked(ObjectVersion object, long offset, int length);

    /**
     * Bytes read and how: {@code missedBlocks} of the read's blocks were not on disk and were waited for
     * (fetched by this read or by a concurrent one), for {@code waitNanos} in all.
     */
    record CachedRead(byte[] data, int missedBlocks, long waitNanos) {}

    CacheStats stats();

    /** Waits (bounded) for fetches in flight to land on disk, then releases the cache directory. */
    @Override
    void close();
}
