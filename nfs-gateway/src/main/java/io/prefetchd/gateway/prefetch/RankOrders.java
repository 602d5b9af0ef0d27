package io.prefetchd.gateway.prefetch;

import static java.util.Objects.requireNonNull;

import io.prefetchd.planner.EpochOrder;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The orders the ranks of one job published for each epoch, merged into the one sequence the gateway will see.
 * Ranks read at about the same pace, so their reads interleave: the merge takes one sample from each rank in
 * turn (rank 0, 1, …, W−1, then again), which the planner matches within its read slack even when the ranks
 * drift apart a little. A rank that has not published yet is left out and the merge is redone when it does.
 *
 * <p>Not thread-safe: confined to the executor's thread.
 */
final class RankOrders {
    private static final int KEEP_EPOCHS = 4;

    private final Map<Integer, TreeMap<Integer, int[]>> byEpoch = new HashMap<>();
    /** The job that published last; null before the first order. */
    private @Nullable String job;

    /**
     * Records one rank's order and returns the merged order of its epoch. Orders of a different job than the last
     * one replace everything known (one planner per dataset plans for the job that published last).
     */
    EpochOrder put(String job, int epoch, int rank, int[] samples) {
        if (!job.equals(this.job)) {
            byEpoch.clear();
            this.job = job;
        }
        byEpoch.computeIfAbsent(epoch, e -> new TreeMap<>()).put(rank, samples);
        byEpoch.keySet().removeIf(e -> e < epoch - KEEP_EPOCHS);
        return merged(epoch);
    }

    @Nullable String job() {
        return job;
    }

    /** Whether {@code rank} published an order for {@code epoch} or a later epoch (of those still kept). */
    boolean publishedFrom(int rank, int epoch) {
        return byEpoch.entrySet().stream().anyMatch(e -> e.getKey() >= epoch && e.getValue().containsKey(rank));
    }

    /**
     * Forgets every order: a new run begins, and its epochs' numbers will be used again. The new run's ranks that
     * publish after the first one join its orders as any rank does.
     */
    void clear() {
        byEpoch.clear();
    }

    /** The merged order of {@code epoch}, or null when no rank published it (or it is too old to be kept). */
    @Nullable EpochOrder order(int epoch) {
        return byEpoch.containsKey(epoch) ? merged(epoch) : null;
    }

    /** The merged orders of {@code epoch} and every later epoch published, in epoch order. */
    java.util.List<EpochOrder> ordersFrom(int epoch) {
        return byEpoch.keySet().stream().filter(e -> e >= epoch).sorted().map(this::merged).toList();
    }

    private EpochOrder merged(int epoch) {
        TreeMap<Integer, int[]> ranks = requireNonNull(byEpoch.get(epoch), "merged only when published");
        if (ranks.size() == 1) {
            return EpochOrder.of(epoch, ranks.firstEntry().getValue());
        }
        int total = 0;
        int longest = 0;
        for (int[] order : ranks.values()) {
            total += order.length;
            longest = Math.max(longest, order.length);
        }
        int[] out = new int[total];
        int k = 0;
        for (int position = 0; position < longest; position++) {
            for (int[] order : ranks.values()) {
                if (position < order.length) {
                    out[k++] = order[position];
                }
            }
        }
        return EpochOrder.of(epoch, out);
    }
}
