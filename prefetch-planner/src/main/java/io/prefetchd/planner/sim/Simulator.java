package io.prefetchd.planner.sim;

import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.Planner;
import io.prefetchd.planner.PlannerConfig;
import io.prefetchd.planner.Planners;
import io.prefetchd.planner.SampleExtents;
import io.prefetchd.planner.StoreModel;

import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Runs every requested policy over the same trace under the same store and reader model, Caffeine-simulator style:
 * the real policies and Belady's OPT side by side, so that each number can be read against the bound.
 *
 * <p>Policies run one after another on the calling thread; each gets a fresh planner and a fresh cache. Pure: the
 * same workload and config always give the same report (W-TinyLFU aside, see {@link CaffeinePlanner}).
 */
public final class Simulator {
    private Simulator() {
    }

    public static SimulationReport run(Workload workload, SimulationConfig config) {
        requireNonNull(workload, "workload is null");
        requireNonNull(config, "config is null");
        return run(workload, config, Math.round(config.cacheFraction() * workload.datasetBytes()));
    }

    /** As {@link #run(Workload, SimulationConfig)}, with a cache of exactly {@code capacity} bytes. */
    public static SimulationReport run(Workload workload, SimulationConfig config, long capacity) {
        requireNonNull(workload, "workload is null");
        requireNonNull(config, "config is null");
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity is negative: " + capacity);
        }
        long datasetBytes = workload.datasetBytes();
        List<PolicyResult> results = new ArrayList<>();
        for (PolicyKind policy : config.policies()) {
            Planner planner = planner(policy, workload, config, capacity);
            Harness harness = new Harness(workload.dataset(), workload.epochs(), config, capacity, planner,
                    policy == PolicyKind.HINTS);
            results.add(PolicyResult.of(policy, harness.run()));
        }
        long readBytes = 0;
        int measured = 0;
        for (int e = config.warmupEpochs(); e < workload.epochs().size(); e++) {
            EpochOrder order = workload.epochs().get(e);
            for (int i = 0; i < order.size(); i++) {
                readBytes += workload.dataset().extentsOf(order.sampleAt(i)).stream()
                        .distinct().mapToLong(x -> x.length()).sum();
            }
            measured++;
        }
        long epochReadBytes = measured == 0 ? 0 : readBytes / measured;
        return new SimulationReport(workload.name(), workload.description(), workload.dataset().sampleCount(),
                datasetBytes, capacity, workload.epochs().size(), config, epochReadBytes,
                (double) epochReadBytes / config.readerBytesPerSecond(),
                Math.max(0, datasetBytes - capacity) / (double) config.bandwidthBytesPerSecond(), results);
    }

    /**
     * Replays {@code epochs} through {@code policies} with a cache of exactly {@code capacityBytes}, counting only
     * the epochs from index {@code warmupEpochs} on: the counterfactual of an epoch report ("what would LRU and OPT
     * have done on this very trace"). The reader reads one sample at a time (so a sample read again soon is never
     * still in flight) from the default store of {@code simulate}; timing does not change the hit ratios, S3 bytes
     * or GET counts of the demand-only policies (LRU, W-TinyLFU, OPT, pin-c), only the stall figures.
     *
     * @throws IllegalArgumentException if an order names a sample the dataset lacks
     */
    public static List<PolicyResult> replay(SampleExtents dataset, List<EpochOrder> epochs, long capacityBytes,
                                            int warmupEpochs, List<PolicyKind> policies) {
        requireNonNull(dataset, "dataset is null");
        requireNonNull(policies, "policies is null");
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("capacity is negative: " + capacityBytes);
        }
        Workload w = new Workload("replay", "an epoch report's trace", dataset, epochs);
        SimulationConfig d = SimulationConfig.defaults();
        SimulationConfig config = new SimulationConfig(d.cacheFraction(), d.latency(), d.bandwidthBytesPerSecond(),
                d.concurrency(), d.readerBytesPerSecond(), 1, warmupEpochs, d.hintLeadEpochs(),
                d.safetyMargin(), policies);
        List<PolicyResult> results = new ArrayList<>();
        for (PolicyKind policy : policies) {
            Planner planner = planner(policy, w, config, capacityBytes);
            results.add(PolicyResult.of(policy, new Harness(dataset, w.epochs(), config, capacityBytes, planner,
                    policy == PolicyKind.HINTS).run()));
        }
        return results;
    }

    /** The planner configuration the simulator gives our planner (the simulated store, the reader's rate). */
    static PlannerConfig plannerConfig(SimulationConfig config, long capacity) {
        return PlannerConfig.of(capacity,
                StoreModel.of(config.latency(), config.bandwidthBytesPerSecond(), config.concurrency()),
                config.readerBytesPerSecond()).withSafetyMargin(config.safetyMargin());
    }

    private static Planner planner(PolicyKind policy, Workload w, SimulationConfig config, long capacity) {
        return switch (policy) {
            case LRU -> new LruPlanner(w.dataset(), capacity);
            case W_TINYLFU -> new CaffeinePlanner(w.dataset(), capacity);
            case OPT -> new OptPlanner(w.dataset(), w.epochs(), capacity);
            case PIN -> new PinPlanner(w.dataset(), capacity);
            case HINTS -> Planners.withHints(w.dataset(), plannerConfig(config, capacity));
            case LEARNED -> Planners.learned(w.dataset(), plannerConfig(config, capacity));
        };
    }
}
