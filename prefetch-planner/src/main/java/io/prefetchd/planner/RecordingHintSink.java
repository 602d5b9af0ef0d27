package io.prefetchd.planner;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps the latest order per (dataset, job, epoch, rank) in memory; stands in for the planner until the
 * executor drives one. Thread-safe: a concurrent map of immutable values.
 */
public final class RecordingHintSink implements HintSink {

    /** Identifies one rank's order. */
    public record Key(String datasetId, String job, int epoch, int rank) {
    }

    private final Map<Key, PublishedOrder> orders = new ConcurrentHashMap<>();
    private final Set<List<Object>> ended = ConcurrentHashMap.newKeySet();

    @Override
    public void accept(PublishedOrder order) {
        orders.put(new Key(order.datasetId(), order.job(), order.epoch(), order.rank()), order);
        ended.remove(List.of(order.datasetId(), order.job(), order.epoch()));
    }

    @Override
    public void endEpoch(String datasetId, String job, int epoch) {
        ended.add(List.of(datasetId, job, epoch));
    }

    public Optional<PublishedOrder> get(String datasetId, String job, int epoch, int rank) {
        return Optional.ofNullable(orders.get(new Key(datasetId, job, epoch, rank)));
    }

    /** The ranks' orders of one epoch, by rank. */
    public List<PublishedOrder> epoch(String datasetId, String job, int epoch) {
        return orders.values().stream()
                .filter(o -> o.datasetId().equals(datasetId) && o.job().equals(job) && o.epoch() == epoch)
                .sorted(java.util.Comparator.comparingInt(PublishedOrder::rank))
                .toList();
    }

    public boolean ended(String datasetId, String job, int epoch) {
        return ended.contains(List.of(datasetId, job, epoch));
    }
}
