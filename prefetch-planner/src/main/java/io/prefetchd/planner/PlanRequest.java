package io.prefetchd.planner;

import java.util.Collection;
import java.util.List;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Everything a one-shot plan needs: the dataset, the known future (the current epoch's order from
 * {@code position} on, then any later epochs already published), what the cache holds now, and the config.
 */
public record PlanRequest(SampleExtents dataset, List<EpochOrder> future, int position, Set<Extent> resident,
                          PlannerConfig config) {
    public PlanRequest {
        requireNonNull(dataset, "dataset is null");
        future = List.copyOf(requireNonNull(future, "future is null"));
        resident = Set.copyOf(requireNonNull(resident, "resident is null"));
        requireNonNull(config, "config is null");
        if (position < 0) {
            throw new IllegalArgumentException("position is negative: " + position);
        }
        if (!future.isEmpty() && position > future.get(0).size()) {
            throw new IllegalArgumentException("position " + position + " is past the end of epoch "
                    + future.get(0).epoch() + " (" + future.get(0).size() + " reads)");
        }
    }

    public static PlanRequest of(SampleExtents dataset, List<EpochOrder> future, Collection<Extent> resident,
                                 PlannerConfig config) {
        return new PlanRequest(dataset, future, 0, Set.copyOf(resident), config);
    }
}
