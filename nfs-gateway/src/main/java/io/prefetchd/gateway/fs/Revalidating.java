package io.prefetchd.gateway.fs;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.prefetchd.gateway.s3.ObjectStoreException;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * Stale-while-revalidate and stale-if-error over a Caffeine cache of values read from S3.
 *
 * <p>A value younger than {@code ttl} is served. Between {@code ttl} and {@code 2 * ttl} it is served while one
 * background load per key replaces it. Older, it is loaded again before answering, so that while S3 answers no
 * caller sees anything older than {@code 2 * ttl}; when that load fails with a retryable error (S3 unreachable,
 * throttling, 5xx) the old value is served instead, up to {@code maxStale}. Missing and too-old keys load on the
 * caller's thread, one load per key at a time (Caffeine's own single flight for missing keys; callers of a key
 * being reloaded join that reload).
 *
 * <p>{@link #invalidate} (the gateway changed the key itself: a write, a rename) makes the next lookup load again,
 * but keeps the value it replaces as a fallback: when that load fails with a retryable error, the value from
 * before the change is served, within {@code maxStale} of when it was read, as for any other stale value. Changes
 * made through the gateway are layered over these values by the writable file system, so an S3 outage does not
 * turn the first lookup after a write (the rename of a checkpoint into place) into an error.
 *
 * <p>Thread-safe.
 */
final class Revalidating<V extends Stamped> {
    private static final int FALLBACKS_KEPT = 256;
    /** What happened on a lookup, for metrics. */
    interface Listener {
        void servedStale();

        void refreshFailed(ObjectStoreException e);
    }

    private final Cache<String, V> cache;
    private final Function<String, V> loader;
    private final Duration ttl;
    private final Duration maxStale;
    private final Clock clock;
    private final Executor refresher;
    private final Listener listener;
    private final Map<String, Boolean> refreshing = new ConcurrentHashMap<>();
    /** Values replaced by {@link #invalidate}, kept to be served if their reload fails: the most recent few. */
    private final Cache<String, V> beforeChange;
    /** Loads done on a caller's thread for values too old to serve: one per key, later callers join it. */
    private final Map<String, CompletableFuture<V>> reloading = new ConcurrentHashMap<>();

    Revalidating(Cache<String, V> cache, Function<String, V> loader, MetadataSettings settings, Clock clock,
                 Executor refresher, Listener listener) {
        this.cache = requireNonNull(cache, "cache is null");
        this.loader = requireNonNull(loader, "loader is null");
        this.ttl = settings.ttl();
        this.maxStale = settings.maxStale();
        this.clock = requireNonNull(clock, "clock is null");
        this.refresher = requireNonNull(refresher, "refresher is null");
        this.listener = requireNonNull(listener, "listener is null");
        this.beforeChange = Caffeine.newBuilder().maximumSize(FALLBACKS_KEPT).build();
    }

    /** The value, loading it when missing or too old. */
    V get(String key) {
        V v = cache.getIfPresent(key);
        if (v == null) {
            return load(key);
        }
        return revalidate(key, v);
    }

    private V load(String key) {
        try {
            V fresh = cache.get(key, loader);
            beforeChange.invalidate(key);
            return fresh;
        } catch (ObjectStoreException e) {
            V before = beforeChange.getIfPresent(key);
            if (before == null) {
                throw e;
            }
            return staleOrThrow(e, before);
        }
    }

    /** The value when one is known (see the class rules for its age), else null without asking S3. */
    @Nullable V getIfKnown(String key) {
        V v = cache.getIfPresent(key);
        return v == null ? null : revalidate(key, v);
    }

    /**
     * As {@link #getIfKnown}, and also for a key the gateway changed since it was read: that one is loaded again
     * (the value from before the change served if the load fails and may be, see the class rules).
     */
    @Nullable V getIfSeen(String key) {
        V v = cache.getIfPresent(key);
        if (v != null) {
            return revalidate(key, v);
        }
        return beforeChange.getIfPresent(key) == null ? null : load(key);
    }

    /** Whether {@link #getIfKnown} would answer {@code key} without waiting on S3 (held, and at most 2 * ttl old). */
    boolean isHeld(String key) {
        V v = cache.getIfPresent(key);
        return v != null && Duration.between(v.loadedAt(), clock.instant()).compareTo(ttl.multipliedBy(2)) <= 0;
    }

    /** The value of a key {@link #isHeld} says is held, or null. */
    @Nullable V peek(String key) {
        return cache.getIfPresent(key);
    }

    /** Starts a background load of {@code key} unless one is running: a listing fetched ahead of need. */
    void prefetch(String key) {
        refreshAsync(key);
    }

    void invalidate(String key) {
        V v = cache.getIfPresent(key);
        if (v != null) {
            beforeChange.put(key, v);
        }
        cache.invalidate(key);
    }

    void put(String key, V value) {
        cache.put(key, value);
    }

    private V revalidate(String key, V v) {
        Duration age = Duration.between(v.loadedAt(), clock.instant());
        if (age.compareTo(ttl) <= 0) {
            return v;
        }
        if (age.compareTo(ttl.multipliedBy(2)) <= 0) {
            refreshAsync(key);
            return v;
        }
        try {
            return reload(key);
        } catch (ObjectStoreException e) {
            return staleOrThrow(e, v);
        }
    }

    /** {@code v} after its reload failed with {@code e}, when the error is retryable and v not too old. */
    private V staleOrThrow(ObjectStoreException e, V v) {
        listener.refreshFailed(e);
        if (e.kind().isRetryable() && Duration.between(v.loadedAt(), clock.instant()).compareTo(maxStale) <= 0) {
            listener.servedStale();
            return v;
        }
        throw e;
    }

    private V reload(String key) {
        CompletableFuture<V> mine = new CompletableFuture<>();
        CompletableFuture<V> running = reloading.putIfAbsent(key, mine);
        if (running != null) {
            try {
                return running.join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof ObjectStoreException ose ? ose : e;
            }
        }
        try {
            V fresh = loader.apply(key);
            cache.put(key, fresh);
            mine.complete(fresh);
            return fresh;
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            reloading.remove(key, mine);
        }
    }

    private void refreshAsync(String key) {
        if (refreshing.putIfAbsent(key, Boolean.TRUE) != null) {
            return;
        }
        try {
            refresher.execute(() -> {
                try {
                    cache.put(key, loader.apply(key));
                } catch (ObjectStoreException e) {
                    listener.refreshFailed(e);   // keep the old value; the next look after ttl tries again
                } finally {
                    refreshing.remove(key);
                }
            });
        } catch (RejectedExecutionException e) {
            refreshing.remove(key);   // shutting down
        }
    }

    Instant now() {
        return clock.instant();
    }
}
