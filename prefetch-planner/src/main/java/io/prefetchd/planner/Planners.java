package io.prefetchd.planner;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Entry points: planners for a dataset, one-shot plans, and the store-model estimator.
 *
 * <p>Building a planner interns the dataset's extents (O(total extents)); build one per dataset and keep it.
 */
public final class Planners {
    private Planners() {
    }

    /** A planner driven by published hints ({@link Planner#publish}); with no hint it keeps a stable set only. */
    public static Planner withHints(SampleExtents dataset, PlannerConfig config) {
        return withHints(dataset, config, Set.of());
    }

    /** As {@link #withHints(SampleExtents, PlannerConfig)}, adopting what the cache already holds (a restart). */
    public static Planner withHints(SampleExtents dataset, PlannerConfig config, Collection<Extent> resident) {
        return new PlanningEngine(ExtentTable.of(requireNonNull(dataset, "dataset is null")), config, false,
                resident);
    }

    /**
     * A planner for jobs that publish no hints: it replays an order that repeats across epochs, reads ahead in
     * sequential streams, and keeps a stable set under random sampling. It needs {@link Planner#onEpochStart}
     * (the tracer's epoch boundaries) to compare epochs. Hints published to it still take precedence.
     */
    public static Planner learned(SampleExtents dataset, PlannerConfig config) {
        return learned(dataset, config, List.of(), Set.of());
    }

    /**
     * As {@link #learned(SampleExtents, PlannerConfig)}, seeded with orders observed in earlier epochs (oldest
     * first; the access tracer's per-epoch traces, mapped to sample ids) and the cache's current contents.
     */
    public static Planner learned(SampleExtents dataset, PlannerConfig config, List<EpochOrder> history,
                                  Collection<Extent> resident) {
        requireNonNull(history, "history is null");
        PlanningEngine engine = new PlanningEngine(ExtentTable.of(requireNonNull(dataset, "dataset is null")),
                config, true, resident);
        for (EpochOrder order : history) {
            engine.learn(order);
        }
        return engine;
    }

    /**
     * A one-shot plan: the prefetches that fit the window now, in order of need, with their evictions. Pure: the
     * same request always gives the same plan.
     */
    public static Plan plan(PlanRequest request) {
        requireNonNull(request, "request is null");
        PlanningEngine engine = new PlanningEngine(ExtentTable.of(request.dataset()), request.config(), false,
                request.resident());
        for (EpochOrder order : request.future()) {
            engine.publish(order);
        }
        engine.skipTo(request.position());
        engine.pinResidents();
        List<Fetch> fetches = engine.poll(0, Integer.MAX_VALUE);
        List<Extent> evictions = new ArrayList<>();
        for (Fetch f : fetches) {
            evictions.addAll(f.evictFirst());
        }
        return new Plan(fetches, evictions, engine.pinnedTarget(), engine.windowBudget());
    }

    /** An estimator that starts from {@code prior}. */
    public static StoreModelEstimator estimator(StoreModel prior) {
        return new WindowedStoreModelEstimator(requireNonNull(prior, "prior is null"), 64);
    }
}
