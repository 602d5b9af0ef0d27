package io.prefetchd.formats;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * The outcome of building, refreshing or loading an index: the index over every object that could be read,
 * and the objects that could not.
 *
 * @param index the index over the readable objects
 * @param failures the objects left out, in dataset order
 * @param stats what it cost
 * @param notes remarks about the persisted copy (e.g. "persisted index was corrupt, rebuilt"), may be empty
 */
public record IndexBuild(DatasetIndex index, List<ObjectFailure> failures, BuildStats stats, List<String> notes) {
    public IndexBuild {
        requireNonNull(index, "index is null");
        failures = List.copyOf(requireNonNull(failures, "failures is null"));
        requireNonNull(stats, "stats is null");
        notes = List.copyOf(requireNonNull(notes, "notes is null"));
    }

    /** True when every object of the dataset is in the index. */
    public boolean complete() {
        return failures.isEmpty();
    }
}
