package io.prefetchd.planner.sim;

import io.prefetchd.planner.EpochOrder;
import io.prefetchd.planner.Extent;
import io.prefetchd.planner.SampleExtents;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * A trace to simulate: the dataset (sample → extents) and the order of every epoch.
 *
 * @param name        short name shown in reports
 * @param description one line: what the trace models
 */
public record Workload(String name, String description, SampleExtents dataset, List<EpochOrder> epochs) {
    public Workload {
        requireNonNull(name, "name is null");
        requireNonNull(description, "description is null");
        requireNonNull(dataset, "dataset is null");
        epochs = List.copyOf(requireNonNull(epochs, "epochs is null"));
        if (epochs.isEmpty()) {
            throw new IllegalArgumentException("a workload needs at least one epoch");
        }
        for (EpochOrder order : epochs) {
            for (int i = 0; i < order.size(); i++) {
                if (order.sampleAt(i) >= dataset.sampleCount()) {
                    throw new IllegalArgumentException("epoch " + order.epoch() + " reads sample "
                            + order.sampleAt(i) + " at position " + i + " but the dataset has "
                            + dataset.sampleCount() + " samples");
                }
            }
        }
    }

    /** Bytes of the distinct extents of the dataset (D). */
    public long datasetBytes() {
        Set<Extent> seen = new HashSet<>();
        long total = 0;
        for (int s = 0; s < dataset.sampleCount(); s++) {
            for (Extent e : dataset.extentsOf(s)) {
                if (seen.add(e)) {
                    total += e.length();
                }
            }
        }
        return total;
    }
}
