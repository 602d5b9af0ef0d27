package io.prefetchd.planner.sim;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.prefetchd.planner.Extent;
import io.prefetchd.planner.SampleExtents;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * W-TinyLFU, by running Caffeine itself: a bounded cache weighed in bytes, driven by the trace. A read is
 * {@code getIfPresent} (which feeds Caffeine's frequency sketch); a miss is {@code put}, and Caffeine's own admission
 * and eviction decide what stays. Evictions are caught by an eviction listener on a same-thread executor, so each is
 * known right after the {@code put} that caused it; a miss that Caffeine refuses to admit is served without being
 * kept.
 *
 * <p>Caffeine's admission adds a little randomness against hash flooding only for very frequent keys, so numbers are
 * reproducible in practice but are not pinned exactly in tests.
 */
final class CaffeinePlanner extends DemandOnlyPlanner {
    private final Cache<Extent, Long> cache;
    private final List<Extent> evicted = new ArrayList<>();

    CaffeinePlanner(SampleExtents dataset, long capacity) {
        super(dataset, capacity);
        cache = Caffeine.newBuilder()
                .maximumWeight(capacity)
                .weigher((Extent k, Long v) -> (int) Math.min(Integer.MAX_VALUE, v))
                .executor(Runnable::run)
                .evictionListener((@Nullable Extent k, @Nullable Long v, RemovalCause cause) -> {
                    if (cause.wasEvicted() && k != null) {
                        evicted.add(k);
                    }
                })
                .build();
    }

    @Override
    boolean touch(Extent e, long accessIndex) {
        return cache.getIfPresent(e) != null;
    }

    @Override
    Admission admit(Extent e, long accessIndex) {
        evicted.clear();
        cache.put(e, e.length());
        cache.cleanUp();
        List<Extent> victims = new ArrayList<>(evicted);
        evicted.clear();
        boolean refused = victims.remove(e) || cache.policy().getIfPresentQuietly(e) == null;
        return new Admission(!refused, victims);
    }
}
