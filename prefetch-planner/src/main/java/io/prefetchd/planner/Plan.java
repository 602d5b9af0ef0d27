package io.prefetchd.planner;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A one-shot schedule: the prefetches that fit the lookahead window now, in order of need, and every eviction they
 * need (the union of their {@link Fetch#evictFirst()}, in order).
 *
 * @param pinnedTargetBytes the size of the stable set the planner keeps (≈ capacity − window)
 * @param windowBytes       the lookahead window (Little's law: latency × miss rate × margin)
 */
public record Plan(List<Fetch> fetches, List<Extent> evictions, long pinnedTargetBytes, long windowBytes) {
    public Plan {
        fetches = List.copyOf(requireNonNull(fetches, "fetches is null"));
        evictions = List.copyOf(requireNonNull(evictions, "evictions is null"));
    }
}
