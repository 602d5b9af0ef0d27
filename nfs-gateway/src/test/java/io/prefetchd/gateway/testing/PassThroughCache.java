package io.prefetchd.gateway.testing;

import io.prefetchd.gateway.cache.CacheStats;
import io.prefetchd.gateway.cache.CutSet;
import io.prefetchd.gateway.cache.ExtentCache;
import io.prefetchd.gateway.cache.ObjectVersion;
import io.prefetchd.gateway.s3.ObjectStore;
import io.prefetchd.gateway.s3.ObjectStoreException;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** A fake ExtentCache that caches nothing: every read is a GET. For unit tests of the layers above the cache. */
public class PassThroughCache implements ExtentCache {
    private final ObjectStore store;

    public PassThroughCache(ObjectStore store) {
        this.store = store;
    }

    @Override
    public CachedRead readTracked(ObjectVersion object, long offset, int length) {
        int n = (int) Math.max(0, Math.min(length, object.size() - offset));
        try {
            long t0 = System.nanoTime();
            return new CachedRead(store.getRange(object.key(), object.etag(), offset, n).get(), 1, System.nanoTime() - t0);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ObjectStoreException ose) {
                throw ose;
            }
            throw new CompletionException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Every read is a GET, completing when it does. */
    @Override
    public CompletableFuture<CachedRead> readAsync(ObjectVersion object, long offset, int length) {
        int n = (int) Math.max(0, Math.min(length, object.size() - offset));
        long t0 = System.nanoTime();
        return store.getRange(object.key(), object.etag(), offset, n)
                .thenApply(bytes -> new CachedRead(bytes, 1, System.nanoTime() - t0));
    }

    /** Caches nothing, so there is nothing to fetch ahead: completes at once. */
    @Override
    public CompletableFuture<Void> prefetch(ObjectVersion object, long offset, long length, boolean hold) {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void release(ObjectVersion object, long offset, long length, boolean drop) {
    }

    @Override
    public java.util.List<Range> cachedRanges(ObjectVersion object) {
        return java.util.List.of();
    }

    @Override
    public void cutAt(ObjectVersion object, CutSet offsets) {
    }

    @Override
    public int grainBytes() {
        return 128 * 1024;
    }

    @Override
    public CacheStats stats() {
        return new CacheStats(1L << 30, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    @Override
    public void close() {
    }
}
